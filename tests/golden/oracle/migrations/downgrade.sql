DECLARE
    handle VARCHAR2(128);
    status INTEGER;
BEGIN
    DBMS_LOCK.ALLOCATE_UNIQUE('memrepo.migrate.' || SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA'), handle);
    status := DBMS_LOCK.REQUEST(handle, DBMS_LOCK.X_MODE, 300, FALSE);
    IF status NOT IN (0, 4) THEN
        RAISE_APPLICATION_ERROR(-20101, 'memrepo: migration lock '
            || 'memrepo.migrate.' || SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') || ' not granted (DBMS_LOCK.REQUEST returned '
            || status || '; 1 = another migrator still holds it)');
    END IF;
END;

/

-- Running downgrade 0014 -> 0013

UPDATE alembic_version SET version_num='0013' WHERE alembic_version.version_num = '0014'

/

-- Running downgrade 0013 -> 0012

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_indexes WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND index_name = 'IX_MEMORY_UNITS_BANK_OCCURRED';
    IF n > 0 THEN
        EXECUTE IMMEDIATE q'~DROP INDEX ix_memory_units_bank_occurred FORCE~';
    END IF;
END;

/

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_indexes WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND index_name = 'IX_MEMORY_UNITS_BANK_MENTIONED';
    IF n > 0 THEN
        EXECUTE IMMEDIATE q'~DROP INDEX ix_memory_units_bank_mentioned FORCE~';
    END IF;
END;

/

UPDATE alembic_version SET version_num='0012' WHERE alembic_version.version_num = '0013'

/

-- Running downgrade 0012 -> 0011

UPDATE alembic_version SET version_num='0011' WHERE alembic_version.version_num = '0012'

/

-- Running downgrade 0011 -> 0010

UPDATE alembic_version SET version_num='0010' WHERE alembic_version.version_num = '0011'

/

-- Running downgrade 0010 -> 0009

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_triggers
        WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND trigger_name = 'TRG_MEMORY_UNITS_COUNT';
    IF n > 0 THEN
        EXECUTE IMMEDIATE q'~DROP TRIGGER trg_memory_units_count~';
    END IF;
END;

/

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_triggers
        WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND trigger_name = 'TRG_MEMORY_LINKS_COUNT';
    IF n > 0 THEN
        EXECUTE IMMEDIATE q'~DROP TRIGGER trg_memory_links_count~';
    END IF;
END;

/

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_triggers
        WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND trigger_name = 'TRG_ENTITIES_COUNT';
    IF n > 0 THEN
        EXECUTE IMMEDIATE q'~DROP TRIGGER trg_entities_count~';
    END IF;
END;

/

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_triggers
        WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND trigger_name = 'TRG_DOCUMENTS_COUNT';
    IF n > 0 THEN
        EXECUTE IMMEDIATE q'~DROP TRIGGER trg_documents_count~';
    END IF;
END;

/

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_triggers
        WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND trigger_name = 'TRG_ASYNC_OPERATIONS_COUNT';
    IF n > 0 THEN
        EXECUTE IMMEDIATE q'~DROP TRIGGER trg_async_operations_count~';
    END IF;
END;

/

DROP INDEX IF EXISTS ix_bank_stat_deltas_kind

/

DROP TABLE IF EXISTS bank_stat_deltas

/

UPDATE alembic_version SET version_num='0009' WHERE alembic_version.version_num = '0010'

/

-- Running downgrade 0009 -> 0008

UPDATE alembic_version SET version_num='0008' WHERE alembic_version.version_num = '0009'

/

-- Running downgrade 0008 -> 0007

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_indexes WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND index_name = 'IXO_MEMORY_UNITS_CONTEXT';
    IF n > 0 THEN
        EXECUTE IMMEDIATE q'~DROP INDEX ixo_memory_units_context FORCE~';
    END IF;
END;

/

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_indexes WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND index_name = 'IXO_MEMORY_UNITS_TEXT';
    IF n > 0 THEN
        EXECUTE IMMEDIATE q'~DROP INDEX ixo_memory_units_text FORCE~';
    END IF;
END;

/

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_indexes
        WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND index_name = 'IXO_MEMORY_UNITS_TEXT' AND domidx_opstatus = 'FAILED';
    IF n > 0 THEN
        EXECUTE IMMEDIATE 'DROP INDEX ixo_memory_units_text FORCE';
    END IF;
    SELECT COUNT(*) INTO n FROM all_indexes WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND index_name = 'IXO_MEMORY_UNITS_TEXT';
    IF n = 0 THEN
        EXECUTE IMMEDIATE q'~CREATE INDEX ixo_memory_units_text ON memory_units (text) INDEXTYPE IS CTXSYS.CONTEXT PARAMETERS ('SYNC (ON COMMIT)')~';
    END IF;
END;

/

UPDATE alembic_version SET version_num='0007' WHERE alembic_version.version_num = '0008'

/

-- Running downgrade 0007 -> 0006

UPDATE async_operations SET status = 'pending' WHERE status = 'waiting'

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE async_operations DROP CONSTRAINT ck_async_operations_unfinished_children'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-1430, -2443, -2264, -904) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE async_operations DROP CONSTRAINT ck_async_operations_status'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-1430, -2443, -2264, -904) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE async_operations ADD CONSTRAINT ck_async_operations_status CHECK (status IN (''pending'', ''processing'', ''completed'', ''failed''))'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-1430, -2443, -2264, -904) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE async_operations DROP COLUMN unfinished_children'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-1430, -2443, -2264, -904) THEN RAISE; END IF; END;

/

UPDATE alembic_version SET version_num='0006' WHERE alembic_version.version_num = '0007'

/

-- Running downgrade 0006 -> 0005

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_tab_columns
        WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND table_name = 'CHUNKS' AND column_name = 'CONTENT_HASH';
    IF n > 0 THEN
        EXECUTE IMMEDIATE q'~ALTER TABLE chunks DROP COLUMN content_hash~';
    END IF;
END;

/

UPDATE alembic_version SET version_num='0005' WHERE alembic_version.version_num = '0006'

/

-- Running downgrade 0005 -> 0004

DROP INDEX IF EXISTS ix_entity_cooccurrences_other

/

DROP INDEX IF EXISTS ix_entity_cooccurrences_strongest

/

DROP TABLE IF EXISTS entity_cooccurrences

/

UPDATE alembic_version SET version_num='0004' WHERE alembic_version.version_num = '0005'

/

-- Running downgrade 0004 -> 0003

UPDATE alembic_version SET version_num='0003' WHERE alembic_version.version_num = '0004'

/

-- Running downgrade 0003 -> 0002

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE memory_links DROP CONSTRAINT fk_memory_links_from_unit'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE memory_links DROP CONSTRAINT fk_memory_links_to_unit'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE unit_entities DROP CONSTRAINT fk_unit_entities_unit'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE unit_entities DROP CONSTRAINT fk_unit_entities_entity'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE observation_sources DROP CONSTRAINT fk_observation_sources_observation'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE observation_history DROP CONSTRAINT fk_observation_history_observation'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE async_operations DROP CONSTRAINT fk_async_operations_parent'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'DROP INDEX ix_async_operations_id'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'DROP INDEX ix_unit_entities_entity'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'CREATE INDEX ix_unit_entities_entity ON unit_entities (entity_id, unit_id)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'DROP INDEX ix_memory_links_to_unit'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'CREATE INDEX ix_memory_links_to_unit ON memory_links (to_unit_id)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'DROP INDEX ix_observation_sources_source'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'CREATE INDEX ix_observation_sources_source ON observation_sources (source_id)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE memory_units DROP CONSTRAINT pk_memory_units'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE memory_units ADD CONSTRAINT pk_memory_units PRIMARY KEY (id)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE entities DROP CONSTRAINT pk_entities'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE entities ADD CONSTRAINT pk_entities PRIMARY KEY (id)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE async_operations DROP CONSTRAINT pk_async_operations'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE async_operations ADD CONSTRAINT pk_async_operations PRIMARY KEY (id)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE observation_history DROP CONSTRAINT pk_observation_history'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE observation_history ADD CONSTRAINT pk_observation_history PRIMARY KEY (id)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE memory_links DROP CONSTRAINT pk_memory_links'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE memory_links ADD CONSTRAINT pk_memory_links PRIMARY KEY (from_unit_id, to_unit_id, link_type)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE unit_entities DROP CONSTRAINT pk_unit_entities'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE unit_entities ADD CONSTRAINT pk_unit_entities PRIMARY KEY (unit_id, entity_id)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE observation_sources DROP CONSTRAINT pk_observation_sources'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE observation_sources ADD CONSTRAINT pk_observation_sources PRIMARY KEY (observation_id, source_id)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE memory_links ADD CONSTRAINT fk_memory_links_from_unit_id_memory_units FOREIGN KEY (from_unit_id) REFERENCES memory_units (id) ON DELETE CASCADE'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE memory_links ADD CONSTRAINT fk_memory_links_to_unit_id_memory_units FOREIGN KEY (to_unit_id) REFERENCES memory_units (id) ON DELETE CASCADE'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE unit_entities ADD CONSTRAINT fk_unit_entities_unit_id_memory_units FOREIGN KEY (unit_id) REFERENCES memory_units (id) ON DELETE CASCADE'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE unit_entities ADD CONSTRAINT fk_unit_entities_entity_id_entities FOREIGN KEY (entity_id) REFERENCES entities (id) ON DELETE CASCADE'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE observation_sources ADD CONSTRAINT fk_observation_sources_observation_id_memory_units FOREIGN KEY (observation_id) REFERENCES memory_units (id) ON DELETE CASCADE'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE observation_history ADD CONSTRAINT fk_observation_history_observation_id_memory_units FOREIGN KEY (observation_id) REFERENCES memory_units (id) ON DELETE CASCADE'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE async_operations ADD CONSTRAINT fk_async_operations_parent_id_async_operations FOREIGN KEY (parent_id) REFERENCES async_operations (id) ON DELETE CASCADE'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0003'

/

-- Running downgrade 0002 -> 0001

DROP INDEX IF EXISTS ix_observation_history_observation

/

DROP TABLE IF EXISTS observation_history

/

DROP INDEX IF EXISTS ix_memory_units_bank_consolidated

/

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_tab_columns
        WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND table_name = 'MEMORY_UNITS' AND column_name = 'INVALIDATED_AT';
    IF n > 0 THEN
        EXECUTE IMMEDIATE q'~ALTER TABLE memory_units DROP COLUMN invalidated_at~';
    END IF;
END;

/

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_tab_columns
        WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND table_name = 'MEMORY_UNITS' AND column_name = 'CONSOLIDATION_FAILED_AT';
    IF n > 0 THEN
        EXECUTE IMMEDIATE q'~ALTER TABLE memory_units DROP COLUMN consolidation_failed_at~';
    END IF;
END;

/

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_tab_columns
        WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND table_name = 'MEMORY_UNITS' AND column_name = 'CONSOLIDATED_AT';
    IF n > 0 THEN
        EXECUTE IMMEDIATE q'~ALTER TABLE memory_units DROP COLUMN consolidated_at~';
    END IF;
END;

/

UPDATE alembic_version SET version_num='0001' WHERE alembic_version.version_num = '0002'

/

-- Running downgrade 0001 -> 

DROP INDEX IF EXISTS ix_unit_entities_entity

/

DROP TABLE IF EXISTS unit_entities

/

DROP INDEX IF EXISTS ix_observation_sources_source

/

DROP TABLE IF EXISTS observation_sources

/

DROP INDEX IF EXISTS ix_memory_links_to_unit

/

DROP TABLE IF EXISTS memory_links

/

DROP INDEX IF EXISTS ixo_memory_units_text

/

DROP INDEX IF EXISTS ixo_memory_units_embedding

/

DROP INDEX IF EXISTS ix_memory_units_document

/

DROP INDEX IF EXISTS ix_memory_units_bank_fact_date

/

DROP INDEX IF EXISTS ix_memory_units_bank_created

/

DROP TABLE IF EXISTS memory_units

/

DROP INDEX IF EXISTS ix_chunks_document

/

DROP TABLE IF EXISTS chunks

/

DROP TABLE IF EXISTS entities

/

DROP TABLE IF EXISTS documents

/

DROP INDEX IF EXISTS ix_async_operations_parent

/

DROP INDEX IF EXISTS ixo_async_operations_claimable

/

DROP INDEX IF EXISTS ix_async_operations_bank_status

/

DROP TABLE IF EXISTS async_operations

/

DROP TABLE IF EXISTS banks

/

DELETE FROM alembic_version WHERE alembic_version.version_num = '0001'

/

COMMIT

/

DECLARE
    handle VARCHAR2(128);
    status INTEGER;
BEGIN
    DBMS_LOCK.ALLOCATE_UNIQUE('memrepo.migrate.' || SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA'), handle);
    status := DBMS_LOCK.RELEASE(handle);
END;

/

