-- Running downgrade 0002 -> 0001

DROP INDEX ix_observation_history_observation

/

DROP TABLE observation_history

/

DROP INDEX ix_memory_units_bank_consolidated

/

ALTER TABLE memory_units DROP COLUMN invalidated_at

/

ALTER TABLE memory_units DROP COLUMN consolidation_failed_at

/

ALTER TABLE memory_units DROP COLUMN consolidated_at

/

UPDATE alembic_version SET version_num='0001' WHERE alembic_version.version_num = '0002'

/

-- Running downgrade 0001 -> 

DROP INDEX ix_unit_entities_entity

/

DROP TABLE unit_entities

/

DROP INDEX ix_observation_sources_source

/

DROP TABLE observation_sources

/

DROP INDEX ix_memory_links_to_unit

/

DROP TABLE memory_links

/

DROP INDEX ixo_memory_units_text

/

DROP INDEX ixo_memory_units_embedding

/

DROP INDEX ix_memory_units_document

/

DROP INDEX ix_memory_units_bank_fact_date

/

DROP INDEX ix_memory_units_bank_created

/

DROP TABLE memory_units

/

DROP INDEX ix_chunks_document

/

DROP TABLE chunks

/

DROP TABLE entities

/

DROP TABLE documents

/

DROP INDEX ix_async_operations_parent

/

DROP INDEX ixo_async_operations_claimable

/

DROP INDEX ix_async_operations_bank_status

/

DROP TABLE async_operations

/

DROP TABLE banks

/

DELETE FROM alembic_version WHERE alembic_version.version_num = '0001'

/

COMMIT

/

