BEGIN;

-- Running downgrade 0014 -> 0013

CREATE INDEX IF NOT EXISTS ix_memory_units_embedding_hnsw_world_rebuilt ON memory_units USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64) WHERE fact_type = 'world';

CREATE INDEX IF NOT EXISTS ix_memory_units_embedding_hnsw_experience_rebuilt ON memory_units USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64) WHERE fact_type = 'experience';

CREATE INDEX IF NOT EXISTS ix_memory_units_embedding_hnsw_observation_rebuilt ON memory_units USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64) WHERE fact_type = 'observation';

DROP INDEX IF EXISTS ix_memory_units_embedding_hnsw_world;

ALTER INDEX ix_memory_units_embedding_hnsw_world_rebuilt RENAME TO ix_memory_units_embedding_hnsw_world;

DROP INDEX IF EXISTS ix_memory_units_embedding_hnsw_experience;

ALTER INDEX ix_memory_units_embedding_hnsw_experience_rebuilt RENAME TO ix_memory_units_embedding_hnsw_experience;

DROP INDEX IF EXISTS ix_memory_units_embedding_hnsw_observation;

ALTER INDEX ix_memory_units_embedding_hnsw_observation_rebuilt RENAME TO ix_memory_units_embedding_hnsw_observation;

UPDATE public.alembic_version SET version_num='0013' WHERE public.alembic_version.version_num = '0014';

-- Running downgrade 0013 -> 0012

DROP INDEX IF EXISTS ix_memory_units_occurred;

DROP INDEX IF EXISTS ix_memory_units_bank_mentioned;

UPDATE public.alembic_version SET version_num='0012' WHERE public.alembic_version.version_num = '0013';

-- Running downgrade 0012 -> 0011

DROP STATISTICS IF EXISTS st_memory_units_tag_count;

DROP INDEX IF EXISTS ix_memory_units_untagged;

UPDATE public.alembic_version SET version_num='0011' WHERE public.alembic_version.version_num = '0012';

-- Running downgrade 0011 -> 0010

DROP INDEX IF EXISTS ix_memory_units_tags;

UPDATE public.alembic_version SET version_num='0010' WHERE public.alembic_version.version_num = '0011';

-- Running downgrade 0010 -> 0009

DROP FUNCTION "public".memrepo_count_memory_units() CASCADE;

DROP FUNCTION "public".memrepo_count_memory_links() CASCADE;

DROP FUNCTION "public".memrepo_count_entities() CASCADE;

DROP FUNCTION "public".memrepo_count_documents() CASCADE;

DROP FUNCTION "public".memrepo_count_async_operations() CASCADE;

DROP INDEX ix_bank_stat_deltas_kind;

DROP TABLE bank_stat_deltas;

UPDATE public.alembic_version SET version_num='0009' WHERE public.alembic_version.version_num = '0010';

-- Running downgrade 0009 -> 0008

CREATE INDEX IF NOT EXISTS ix_memory_units_embedding_hnsw ON memory_units USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);

DROP INDEX IF EXISTS ix_memory_units_embedding_hnsw_world;

DROP INDEX IF EXISTS ix_memory_units_embedding_hnsw_experience;

DROP INDEX IF EXISTS ix_memory_units_embedding_hnsw_observation;

UPDATE public.alembic_version SET version_num='0008' WHERE public.alembic_version.version_num = '0009';

-- Running downgrade 0008 -> 0007

DROP FUNCTION IF EXISTS text_search_query(text);

DROP INDEX IF EXISTS ix_memory_units_search_vector;

ALTER TABLE memory_units DROP COLUMN IF EXISTS search_vector;

ALTER TABLE memory_units ALTER COLUMN embedding SET STORAGE DEFAULT;

ALTER TABLE memory_units RESET (toast_tuple_target);

CREATE INDEX ix_memory_units_text_fts ON memory_units USING gin (to_tsvector('english'::regconfig, text));

UPDATE public.alembic_version SET version_num='0007' WHERE public.alembic_version.version_num = '0008';

-- Running downgrade 0007 -> 0006

UPDATE async_operations SET status = 'pending' WHERE status = 'waiting';

ALTER TABLE async_operations DROP CONSTRAINT ck_async_operations_unfinished_children;

ALTER TABLE async_operations DROP CONSTRAINT ck_async_operations_status;

ALTER TABLE async_operations ADD CONSTRAINT ck_async_operations_status CHECK (status IN ('pending', 'processing', 'completed', 'failed'));

ALTER TABLE async_operations DROP COLUMN unfinished_children;

UPDATE public.alembic_version SET version_num='0006' WHERE public.alembic_version.version_num = '0007';

-- Running downgrade 0006 -> 0005

ALTER TABLE chunks DROP COLUMN content_hash;

UPDATE public.alembic_version SET version_num='0005' WHERE public.alembic_version.version_num = '0006';

-- Running downgrade 0005 -> 0004

DROP INDEX ix_entity_cooccurrences_other;

DROP INDEX ix_entity_cooccurrences_strongest;

DROP TABLE entity_cooccurrences;

DROP INDEX ix_entities_name_trgm;

UPDATE public.alembic_version SET version_num='0004' WHERE public.alembic_version.version_num = '0005';

-- Running downgrade 0004 -> 0003

UPDATE public.alembic_version SET version_num='0003' WHERE public.alembic_version.version_num = '0004';

-- Running downgrade 0003 -> 0002

ALTER TABLE memory_links DROP CONSTRAINT fk_memory_links_from_unit;

ALTER TABLE memory_links DROP CONSTRAINT fk_memory_links_to_unit;

ALTER TABLE unit_entities DROP CONSTRAINT fk_unit_entities_unit;

ALTER TABLE unit_entities DROP CONSTRAINT fk_unit_entities_entity;

ALTER TABLE observation_sources DROP CONSTRAINT fk_observation_sources_observation;

ALTER TABLE observation_history DROP CONSTRAINT fk_observation_history_observation;

ALTER TABLE async_operations DROP CONSTRAINT fk_async_operations_parent;

DROP INDEX ix_async_operations_id;

DROP INDEX ix_unit_entities_entity;

CREATE INDEX ix_unit_entities_entity ON unit_entities (entity_id, unit_id);

DROP INDEX ix_memory_links_to_unit;

CREATE INDEX ix_memory_links_to_unit ON memory_links (to_unit_id);

DROP INDEX ix_observation_sources_source;

CREATE INDEX ix_observation_sources_source ON observation_sources (source_id);

ALTER TABLE memory_units DROP CONSTRAINT pk_memory_units;

ALTER TABLE memory_units ADD CONSTRAINT pk_memory_units PRIMARY KEY (id);

ALTER TABLE entities DROP CONSTRAINT pk_entities;

ALTER TABLE entities ADD CONSTRAINT pk_entities PRIMARY KEY (id);

ALTER TABLE async_operations DROP CONSTRAINT pk_async_operations;

ALTER TABLE async_operations ADD CONSTRAINT pk_async_operations PRIMARY KEY (id);

ALTER TABLE observation_history DROP CONSTRAINT pk_observation_history;

ALTER TABLE observation_history ADD CONSTRAINT pk_observation_history PRIMARY KEY (id);

ALTER TABLE memory_links DROP CONSTRAINT pk_memory_links;

ALTER TABLE memory_links ADD CONSTRAINT pk_memory_links PRIMARY KEY (from_unit_id, to_unit_id, link_type);

ALTER TABLE unit_entities DROP CONSTRAINT pk_unit_entities;

ALTER TABLE unit_entities ADD CONSTRAINT pk_unit_entities PRIMARY KEY (unit_id, entity_id);

ALTER TABLE observation_sources DROP CONSTRAINT pk_observation_sources;

ALTER TABLE observation_sources ADD CONSTRAINT pk_observation_sources PRIMARY KEY (observation_id, source_id);

ALTER TABLE memory_links ADD CONSTRAINT fk_memory_links_from_unit_id_memory_units FOREIGN KEY (from_unit_id) REFERENCES memory_units (id) ON DELETE CASCADE;

ALTER TABLE memory_links ADD CONSTRAINT fk_memory_links_to_unit_id_memory_units FOREIGN KEY (to_unit_id) REFERENCES memory_units (id) ON DELETE CASCADE;

ALTER TABLE unit_entities ADD CONSTRAINT fk_unit_entities_unit_id_memory_units FOREIGN KEY (unit_id) REFERENCES memory_units (id) ON DELETE CASCADE;

ALTER TABLE unit_entities ADD CONSTRAINT fk_unit_entities_entity_id_entities FOREIGN KEY (entity_id) REFERENCES entities (id) ON DELETE CASCADE;

ALTER TABLE observation_sources ADD CONSTRAINT fk_observation_sources_observation_id_memory_units FOREIGN KEY (observation_id) REFERENCES memory_units (id) ON DELETE CASCADE;

ALTER TABLE observation_history ADD CONSTRAINT fk_observation_history_observation_id_memory_units FOREIGN KEY (observation_id) REFERENCES memory_units (id) ON DELETE CASCADE;

ALTER TABLE async_operations ADD CONSTRAINT fk_async_operations_parent_id_async_operations FOREIGN KEY (parent_id) REFERENCES async_operations (id) ON DELETE CASCADE;

UPDATE public.alembic_version SET version_num='0002' WHERE public.alembic_version.version_num = '0003';

-- Running downgrade 0002 -> 0001

DROP INDEX ix_observation_history_observation;

DROP TABLE observation_history;

DROP INDEX ix_memory_units_bank_consolidated;

ALTER TABLE memory_units DROP COLUMN invalidated_at;

ALTER TABLE memory_units DROP COLUMN consolidation_failed_at;

ALTER TABLE memory_units DROP COLUMN consolidated_at;

UPDATE public.alembic_version SET version_num='0001' WHERE public.alembic_version.version_num = '0002';

-- Running downgrade 0001 -> 

DROP INDEX ix_unit_entities_entity;

DROP TABLE unit_entities;

DROP INDEX ix_observation_sources_source;

DROP TABLE observation_sources;

DROP INDEX ix_memory_links_to_unit;

DROP TABLE memory_links;

DROP INDEX ix_memory_units_text_fts;

DROP INDEX ix_memory_units_source_ids;

DROP INDEX ix_memory_units_embedding_hnsw;

DROP INDEX ix_memory_units_document;

DROP INDEX ix_memory_units_bank_fact_date;

DROP INDEX ix_memory_units_bank_created;

DROP TABLE memory_units;

DROP INDEX ix_chunks_document;

DROP TABLE chunks;

DROP TABLE entities;

DROP TABLE documents;

DROP INDEX ix_async_operations_parent;

DROP INDEX ix_async_operations_claimable;

DROP INDEX ix_async_operations_bank_status;

DROP TABLE async_operations;

DROP TABLE banks;

DELETE FROM public.alembic_version WHERE public.alembic_version.version_num = '0001';

COMMIT;

