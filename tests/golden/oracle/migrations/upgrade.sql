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

CREATE TABLE alembic_version (
    version_num VARCHAR2(32 CHAR) NOT NULL, 
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
)

/

-- Running upgrade  -> 0001

CREATE TABLE IF NOT EXISTS banks (
    bank_id VARCHAR2(255 CHAR) NOT NULL, 
    name VARCHAR2(255 CHAR) NOT NULL, 
    metadata JSON, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_banks PRIMARY KEY (bank_id)
)

/

CREATE TABLE IF NOT EXISTS async_operations (
    id RAW(16) NOT NULL, 
    bank_id VARCHAR2(255 CHAR) NOT NULL, 
    operation_type VARCHAR2(64 CHAR) NOT NULL, 
    status VARCHAR2(16 CHAR) NOT NULL, 
    payload JSON, 
    result JSON, 
    error_message CLOB, 
    attempts INTEGER NOT NULL, 
    max_attempts INTEGER NOT NULL, 
    next_attempt_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    parent_id RAW(16), 
    claimed_by VARCHAR2(255 CHAR), 
    claimed_at TIMESTAMP WITH TIME ZONE, 
    completed_at TIMESTAMP WITH TIME ZONE, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_async_operations PRIMARY KEY (id), 
    CONSTRAINT ck_async_operations_status CHECK (status IN ('pending', 'processing', 'completed', 'failed')), 
    CONSTRAINT ck_async_operations_attempts CHECK (attempts >= 0 AND max_attempts >= 1), 
    CONSTRAINT fk_async_operations_bank_id_banks FOREIGN KEY(bank_id) REFERENCES banks (bank_id) ON DELETE CASCADE, 
    CONSTRAINT fk_async_operations_parent_id_async_operations FOREIGN KEY(parent_id) REFERENCES async_operations (id) ON DELETE CASCADE
)

/

CREATE INDEX IF NOT EXISTS ix_async_operations_bank_status ON async_operations (bank_id, status)

/

CREATE INDEX IF NOT EXISTS ixo_async_operations_claimable ON async_operations (CASE WHEN status IN ('pending', 'processing') THEN next_attempt_at END)

/

CREATE INDEX IF NOT EXISTS ix_async_operations_parent ON async_operations (parent_id)

/

CREATE TABLE IF NOT EXISTS documents (
    bank_id VARCHAR2(255 CHAR) NOT NULL, 
    document_id VARCHAR2(255 CHAR) NOT NULL, 
    content_hash VARCHAR2(64 CHAR) NOT NULL, 
    content CLOB, 
    metadata JSON, 
    version INTEGER NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_documents PRIMARY KEY (bank_id, document_id), 
    CONSTRAINT fk_documents_bank_id_banks FOREIGN KEY(bank_id) REFERENCES banks (bank_id) ON DELETE CASCADE
)

/

CREATE TABLE IF NOT EXISTS entities (
    id RAW(16) NOT NULL, 
    bank_id VARCHAR2(255 CHAR) NOT NULL, 
    name VARCHAR2(255 CHAR) NOT NULL, 
    canonical_name VARCHAR2(255 CHAR) NOT NULL, 
    entity_type VARCHAR2(64 CHAR), 
    metadata JSON, 
    mention_count INTEGER NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_entities PRIMARY KEY (id), 
    CONSTRAINT fk_entities_bank_id_banks FOREIGN KEY(bank_id) REFERENCES banks (bank_id) ON DELETE CASCADE, 
    CONSTRAINT uq_entities_bank_canonical_name UNIQUE (bank_id, canonical_name)
)

/

CREATE TABLE IF NOT EXISTS chunks (
    bank_id VARCHAR2(255 CHAR) NOT NULL, 
    chunk_id VARCHAR2(255 CHAR) NOT NULL, 
    document_id VARCHAR2(255 CHAR) NOT NULL, 
    chunk_index INTEGER NOT NULL, 
    text CLOB NOT NULL, 
    CONSTRAINT pk_chunks PRIMARY KEY (bank_id, chunk_id), 
    CONSTRAINT fk_chunks_document FOREIGN KEY(bank_id, document_id) REFERENCES documents (bank_id, document_id) ON DELETE CASCADE
)

/

CREATE INDEX IF NOT EXISTS ix_chunks_document ON chunks (bank_id, document_id, chunk_index)

/

CREATE TABLE IF NOT EXISTS memory_units (
    id RAW(16) NOT NULL, 
    bank_id VARCHAR2(255 CHAR) NOT NULL, 
    document_id VARCHAR2(255 CHAR), 
    chunk_id VARCHAR2(255 CHAR), 
    text CLOB NOT NULL, 
    context CLOB, 
    embedding VECTOR(384, FLOAT32) NOT NULL, 
    fact_type VARCHAR2(16 CHAR) NOT NULL, 
    event_date TIMESTAMP WITH TIME ZONE, 
    occurred_start TIMESTAMP WITH TIME ZONE, 
    occurred_end TIMESTAMP WITH TIME ZONE, 
    mentioned_at TIMESTAMP WITH TIME ZONE, 
    tags JSON, 
    metadata JSON, 
    proof_count INTEGER NOT NULL, 
    source_memory_ids JSON, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_memory_units PRIMARY KEY (id), 
    CONSTRAINT ck_memory_units_fact_type CHECK (fact_type IN ('world', 'experience', 'observation')), 
    CONSTRAINT ck_memory_units_proof_count CHECK (proof_count >= 0), 
    CONSTRAINT fk_memory_units_document FOREIGN KEY(bank_id, document_id) REFERENCES documents (bank_id, document_id) ON DELETE CASCADE, 
    CONSTRAINT fk_memory_units_bank_id_banks FOREIGN KEY(bank_id) REFERENCES banks (bank_id) ON DELETE CASCADE
)

/

CREATE INDEX IF NOT EXISTS ix_memory_units_bank_created ON memory_units (bank_id, created_at, id)

/

CREATE INDEX IF NOT EXISTS ix_memory_units_bank_fact_date ON memory_units (bank_id, fact_type, event_date)

/

CREATE INDEX IF NOT EXISTS ix_memory_units_document ON memory_units (bank_id, document_id)

/

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_indexes WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND index_name = 'IXO_MEMORY_UNITS_EMBEDDING';
    IF n = 0 THEN
        EXECUTE IMMEDIATE q'~CREATE VECTOR INDEX ixo_memory_units_embedding ON memory_units (embedding) ORGANIZATION NEIGHBOR PARTITIONS DISTANCE COSINE WITH TARGET ACCURACY 95~';
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

CREATE TABLE IF NOT EXISTS memory_links (
    from_unit_id RAW(16) NOT NULL, 
    to_unit_id RAW(16) NOT NULL, 
    link_type VARCHAR2(16 CHAR) NOT NULL, 
    bank_id VARCHAR2(255 CHAR) NOT NULL, 
    weight FLOAT NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_memory_links PRIMARY KEY (from_unit_id, to_unit_id, link_type), 
    CONSTRAINT ck_memory_links_link_type CHECK (link_type IN ('temporal', 'semantic', 'entity', 'causal')), 
    CONSTRAINT ck_memory_links_weight CHECK (weight >= 0 AND weight <= 1), 
    CONSTRAINT fk_memory_links_bank_id_banks FOREIGN KEY(bank_id) REFERENCES banks (bank_id) ON DELETE CASCADE, 
    CONSTRAINT fk_memory_links_from_unit_id_memory_units FOREIGN KEY(from_unit_id) REFERENCES memory_units (id) ON DELETE CASCADE, 
    CONSTRAINT fk_memory_links_to_unit_id_memory_units FOREIGN KEY(to_unit_id) REFERENCES memory_units (id) ON DELETE CASCADE
)

/

CREATE INDEX IF NOT EXISTS ix_memory_links_to_unit ON memory_links (to_unit_id)

/

CREATE TABLE IF NOT EXISTS observation_sources (
    observation_id RAW(16) NOT NULL, 
    source_id RAW(16) NOT NULL, 
    bank_id VARCHAR2(255 CHAR) NOT NULL, 
    CONSTRAINT pk_observation_sources PRIMARY KEY (observation_id, source_id), 
    CONSTRAINT fk_observation_sources_bank_id_banks FOREIGN KEY(bank_id) REFERENCES banks (bank_id) ON DELETE CASCADE, 
    CONSTRAINT fk_observation_sources_observation_id_memory_units FOREIGN KEY(observation_id) REFERENCES memory_units (id) ON DELETE CASCADE
)

/

CREATE INDEX IF NOT EXISTS ix_observation_sources_source ON observation_sources (source_id)

/

CREATE TABLE IF NOT EXISTS unit_entities (
    unit_id RAW(16) NOT NULL, 
    entity_id RAW(16) NOT NULL, 
    bank_id VARCHAR2(255 CHAR) NOT NULL, 
    CONSTRAINT pk_unit_entities PRIMARY KEY (unit_id, entity_id), 
    CONSTRAINT fk_unit_entities_bank_id_banks FOREIGN KEY(bank_id) REFERENCES banks (bank_id) ON DELETE CASCADE, 
    CONSTRAINT fk_unit_entities_entity_id_entities FOREIGN KEY(entity_id) REFERENCES entities (id) ON DELETE CASCADE, 
    CONSTRAINT fk_unit_entities_unit_id_memory_units FOREIGN KEY(unit_id) REFERENCES memory_units (id) ON DELETE CASCADE
)

/

CREATE INDEX IF NOT EXISTS ix_unit_entities_entity ON unit_entities (entity_id, unit_id)

/

INSERT INTO alembic_version (version_num) VALUES ('0001') RETURNING alembic_version.version_num INTO :ret_0

/

-- Running upgrade 0001 -> 0002

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_tab_columns
        WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND table_name = 'MEMORY_UNITS' AND column_name = 'CONSOLIDATED_AT';
    IF n = 0 THEN
        EXECUTE IMMEDIATE q'~ALTER TABLE memory_units ADD consolidated_at TIMESTAMP WITH TIME ZONE~';
    END IF;
END;

/

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_tab_columns
        WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND table_name = 'MEMORY_UNITS' AND column_name = 'CONSOLIDATION_FAILED_AT';
    IF n = 0 THEN
        EXECUTE IMMEDIATE q'~ALTER TABLE memory_units ADD consolidation_failed_at TIMESTAMP WITH TIME ZONE~';
    END IF;
END;

/

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_tab_columns
        WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND table_name = 'MEMORY_UNITS' AND column_name = 'INVALIDATED_AT';
    IF n = 0 THEN
        EXECUTE IMMEDIATE q'~ALTER TABLE memory_units ADD invalidated_at TIMESTAMP WITH TIME ZONE~';
    END IF;
END;

/

CREATE INDEX IF NOT EXISTS ix_memory_units_bank_consolidated ON memory_units (bank_id, consolidated_at, created_at, id)

/

CREATE TABLE IF NOT EXISTS observation_history (
    id RAW(16) NOT NULL, 
    bank_id VARCHAR2(255 CHAR) NOT NULL, 
    observation_id RAW(16) NOT NULL, 
    previous_text CLOB NOT NULL, 
    sources_added JSON, 
    reason VARCHAR2(255 CHAR), 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_observation_history PRIMARY KEY (id), 
    CONSTRAINT fk_observation_history_bank_id_banks FOREIGN KEY(bank_id) REFERENCES banks (bank_id) ON DELETE CASCADE, 
    CONSTRAINT fk_observation_history_observation_id_memory_units FOREIGN KEY(observation_id) REFERENCES memory_units (id) ON DELETE CASCADE
)

/

CREATE INDEX IF NOT EXISTS ix_observation_history_observation ON observation_history (bank_id, observation_id, created_at)

/

UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0001'

/

-- Running upgrade 0002 -> 0003

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

DELETE FROM memory_links WHERE from_unit_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM memory_units r WHERE r.bank_id = memory_links.bank_id AND r.id = memory_links.from_unit_id)

/

DELETE FROM memory_links WHERE to_unit_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM memory_units r WHERE r.bank_id = memory_links.bank_id AND r.id = memory_links.to_unit_id)

/

DELETE FROM unit_entities WHERE unit_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM memory_units r WHERE r.bank_id = unit_entities.bank_id AND r.id = unit_entities.unit_id)

/

DELETE FROM unit_entities WHERE entity_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM entities r WHERE r.bank_id = unit_entities.bank_id AND r.id = unit_entities.entity_id)

/

DELETE FROM observation_sources WHERE observation_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM memory_units r WHERE r.bank_id = observation_sources.bank_id AND r.id = observation_sources.observation_id)

/

DELETE FROM observation_history WHERE observation_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM memory_units r WHERE r.bank_id = observation_history.bank_id AND r.id = observation_history.observation_id)

/

DELETE FROM async_operations WHERE parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM async_operations r WHERE r.bank_id = async_operations.bank_id AND r.id = async_operations.parent_id)

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE memory_links DROP CONSTRAINT fk_memory_links_from_unit_id_memory_units'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE memory_links DROP CONSTRAINT fk_memory_links_to_unit_id_memory_units'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE unit_entities DROP CONSTRAINT fk_unit_entities_unit_id_memory_units'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE unit_entities DROP CONSTRAINT fk_unit_entities_entity_id_entities'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE observation_sources DROP CONSTRAINT fk_observation_sources_observation_id_memory_units'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE observation_history DROP CONSTRAINT fk_observation_history_observation_id_memory_units'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE async_operations DROP CONSTRAINT fk_async_operations_parent_id_async_operations'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE memory_units DROP CONSTRAINT pk_memory_units'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE memory_units ADD CONSTRAINT pk_memory_units PRIMARY KEY (bank_id, id)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE entities DROP CONSTRAINT pk_entities'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE entities ADD CONSTRAINT pk_entities PRIMARY KEY (bank_id, id)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE async_operations DROP CONSTRAINT pk_async_operations'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE async_operations ADD CONSTRAINT pk_async_operations PRIMARY KEY (bank_id, id)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE observation_history DROP CONSTRAINT pk_observation_history'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE observation_history ADD CONSTRAINT pk_observation_history PRIMARY KEY (bank_id, id)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE memory_links DROP CONSTRAINT pk_memory_links'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE memory_links ADD CONSTRAINT pk_memory_links PRIMARY KEY (bank_id, from_unit_id, to_unit_id, link_type)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE unit_entities DROP CONSTRAINT pk_unit_entities'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE unit_entities ADD CONSTRAINT pk_unit_entities PRIMARY KEY (bank_id, unit_id, entity_id)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE observation_sources DROP CONSTRAINT pk_observation_sources'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE observation_sources ADD CONSTRAINT pk_observation_sources PRIMARY KEY (bank_id, observation_id, source_id)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'CREATE INDEX ix_async_operations_id ON async_operations (id)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'DROP INDEX ix_unit_entities_entity'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'CREATE INDEX ix_unit_entities_entity ON unit_entities (bank_id, entity_id, unit_id)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'DROP INDEX ix_memory_links_to_unit'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'CREATE INDEX ix_memory_links_to_unit ON memory_links (bank_id, to_unit_id)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'DROP INDEX ix_observation_sources_source'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'CREATE INDEX ix_observation_sources_source ON observation_sources (bank_id, source_id)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE memory_links ADD CONSTRAINT fk_memory_links_from_unit FOREIGN KEY (bank_id, from_unit_id) REFERENCES memory_units (bank_id, id) ON DELETE CASCADE'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE memory_links ADD CONSTRAINT fk_memory_links_to_unit FOREIGN KEY (bank_id, to_unit_id) REFERENCES memory_units (bank_id, id) ON DELETE CASCADE'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE unit_entities ADD CONSTRAINT fk_unit_entities_unit FOREIGN KEY (bank_id, unit_id) REFERENCES memory_units (bank_id, id) ON DELETE CASCADE'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE unit_entities ADD CONSTRAINT fk_unit_entities_entity FOREIGN KEY (bank_id, entity_id) REFERENCES entities (bank_id, id) ON DELETE CASCADE'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE observation_sources ADD CONSTRAINT fk_observation_sources_observation FOREIGN KEY (bank_id, observation_id) REFERENCES memory_units (bank_id, id) ON DELETE CASCADE'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE observation_history ADD CONSTRAINT fk_observation_history_observation FOREIGN KEY (bank_id, observation_id) REFERENCES memory_units (bank_id, id) ON DELETE CASCADE'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE async_operations ADD CONSTRAINT fk_async_operations_parent FOREIGN KEY (bank_id, parent_id) REFERENCES async_operations (bank_id, id) ON DELETE CASCADE'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-2443, -2260, -2275, -955, -1418) THEN RAISE; END IF; END;

/

UPDATE alembic_version SET version_num='0003' WHERE alembic_version.version_num = '0002'

/

-- Running upgrade 0003 -> 0004

UPDATE entities SET mention_count = (SELECT COUNT(*) FROM unit_entities m WHERE m.bank_id = entities.bank_id AND m.entity_id = entities.id)

/

DELETE FROM entities WHERE NOT EXISTS (SELECT 1 FROM unit_entities m WHERE m.bank_id = entities.bank_id AND m.entity_id = entities.id)

/

UPDATE alembic_version SET version_num='0004' WHERE alembic_version.version_num = '0003'

/

-- Running upgrade 0004 -> 0005

CREATE TABLE IF NOT EXISTS entity_cooccurrences (
    bank_id VARCHAR2(255 CHAR) NOT NULL, 
    entity_id RAW(16) NOT NULL, 
    other_id RAW(16) NOT NULL, 
    units INTEGER NOT NULL, 
    CONSTRAINT pk_entity_cooccurrences PRIMARY KEY (bank_id, entity_id, other_id), 
    CONSTRAINT ck_entity_cooccurrences_units CHECK (units >= 0), 
    CONSTRAINT fk_entity_cooccurrences_bank_id_banks FOREIGN KEY(bank_id) REFERENCES banks (bank_id) ON DELETE CASCADE, 
    CONSTRAINT fk_entity_cooccurrences_entity FOREIGN KEY(bank_id, entity_id) REFERENCES entities (bank_id, id) ON DELETE CASCADE, 
    CONSTRAINT fk_entity_cooccurrences_other FOREIGN KEY(bank_id, other_id) REFERENCES entities (bank_id, id) ON DELETE CASCADE
)

/

CREATE INDEX IF NOT EXISTS ix_entity_cooccurrences_strongest ON entity_cooccurrences (bank_id, entity_id, units)

/

CREATE INDEX IF NOT EXISTS ix_entity_cooccurrences_other ON entity_cooccurrences (bank_id, other_id)

/

DELETE FROM entity_cooccurrences

/

INSERT INTO entity_cooccurrences (bank_id, entity_id, other_id, units) SELECT a.bank_id, a.entity_id, b.entity_id, COUNT(*) FROM unit_entities a JOIN unit_entities b ON b.bank_id = a.bank_id AND b.unit_id = a.unit_id AND b.entity_id <> a.entity_id GROUP BY a.bank_id, a.entity_id, b.entity_id

/

UPDATE alembic_version SET version_num='0005' WHERE alembic_version.version_num = '0004'

/

-- Running upgrade 0005 -> 0006

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_tab_columns
        WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND table_name = 'CHUNKS' AND column_name = 'CONTENT_HASH';
    IF n = 0 THEN
        EXECUTE IMMEDIATE q'~ALTER TABLE chunks ADD content_hash VARCHAR2(64 CHAR)~';
    END IF;
END;

/

UPDATE alembic_version SET version_num='0006' WHERE alembic_version.version_num = '0005'

/

-- Running upgrade 0006 -> 0007

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE async_operations ADD unfinished_children INTEGER DEFAULT 0 NOT NULL'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-1430, -2443, -2264, -904) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE async_operations DROP CONSTRAINT ck_async_operations_status'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-1430, -2443, -2264, -904) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE async_operations ADD CONSTRAINT ck_async_operations_status CHECK (status IN (''pending'', ''processing'', ''completed'', ''failed'', ''waiting''))'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-1430, -2443, -2264, -904) THEN RAISE; END IF; END;

/

BEGIN EXECUTE IMMEDIATE 'ALTER TABLE async_operations ADD CONSTRAINT ck_async_operations_unfinished_children CHECK (unfinished_children >= 0)'; EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN (-1430, -2443, -2264, -904) THEN RAISE; END IF; END;

/

UPDATE async_operations SET unfinished_children = (SELECT COUNT(*) FROM async_operations c WHERE c.bank_id = async_operations.bank_id AND c.parent_id = async_operations.id AND c.status IN ('pending', 'processing')) WHERE status = 'pending' AND EXISTS (SELECT 1 FROM async_operations c WHERE c.bank_id = async_operations.bank_id AND c.parent_id = async_operations.id)

/

UPDATE async_operations SET status = 'waiting', claimed_by = NULL WHERE status = 'pending' AND unfinished_children > 0 AND EXISTS (SELECT 1 FROM async_operations c WHERE c.bank_id = async_operations.bank_id AND c.parent_id = async_operations.id)

/

UPDATE async_operations SET status = CASE WHEN EXISTS (SELECT 1 FROM async_operations c WHERE c.bank_id = async_operations.bank_id AND c.parent_id = async_operations.id AND c.status = 'failed') THEN 'failed' ELSE 'completed' END, error_message = CASE WHEN EXISTS (SELECT 1 FROM async_operations c WHERE c.bank_id = async_operations.bank_id AND c.parent_id = async_operations.id AND c.status = 'failed') THEN 'a child operation failed' ELSE error_message END, claimed_by = NULL, completed_at = CURRENT_TIMESTAMP, updated_at = CURRENT_TIMESTAMP WHERE status = 'pending' AND EXISTS (SELECT 1 FROM async_operations c WHERE c.bank_id = async_operations.bank_id AND c.parent_id = async_operations.id)

/

UPDATE alembic_version SET version_num='0007' WHERE alembic_version.version_num = '0006'

/

-- Running upgrade 0007 -> 0008

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
        EXECUTE IMMEDIATE q'~CREATE INDEX ixo_memory_units_text ON memory_units (text) INDEXTYPE IS CTXSYS.CONTEXT PARAMETERS ('STOPLIST CTXSYS.DEFAULT_STOPLIST SYNC (ON COMMIT)')~';
    END IF;
END;

/

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_indexes
        WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND index_name = 'IXO_MEMORY_UNITS_CONTEXT' AND domidx_opstatus = 'FAILED';
    IF n > 0 THEN
        EXECUTE IMMEDIATE 'DROP INDEX ixo_memory_units_context FORCE';
    END IF;
    SELECT COUNT(*) INTO n FROM all_indexes WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND index_name = 'IXO_MEMORY_UNITS_CONTEXT';
    IF n = 0 THEN
        EXECUTE IMMEDIATE q'~CREATE INDEX ixo_memory_units_context ON memory_units (context) INDEXTYPE IS CTXSYS.CONTEXT PARAMETERS ('STOPLIST CTXSYS.DEFAULT_STOPLIST SYNC (ON COMMIT)')~';
    END IF;
END;

/

UPDATE alembic_version SET version_num='0008' WHERE alembic_version.version_num = '0007'

/

-- Running upgrade 0008 -> 0009

UPDATE alembic_version SET version_num='0009' WHERE alembic_version.version_num = '0008'

/

-- Running upgrade 0009 -> 0010

CREATE TABLE IF NOT EXISTS bank_stat_deltas (
    bank_id VARCHAR2(255 CHAR) NOT NULL, 
    id RAW(16) NOT NULL, 
    kind VARCHAR2(64 CHAR) NOT NULL, 
    delta NUMBER(19) NOT NULL, 
    written_at TIMESTAMP WITH TIME ZONE, 
    CONSTRAINT pk_bank_stat_deltas PRIMARY KEY (bank_id, id), 
    CONSTRAINT fk_bank_stat_deltas_bank_id_banks FOREIGN KEY(bank_id) REFERENCES banks (bank_id) ON DELETE CASCADE
)

/

CREATE INDEX IF NOT EXISTS ix_bank_stat_deltas_kind ON bank_stat_deltas (bank_id, kind)

/

CREATE OR REPLACE TRIGGER trg_memory_units_count
AFTER INSERT OR DELETE ON memory_units FOR EACH ROW
BEGIN
    IF INSERTING THEN
        INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) VALUES (:NEW.bank_id, SYS_GUID(), 'units:' || :NEW.fact_type, 1, :NEW.created_at);
    ELSIF DELETING THEN
        INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) VALUES (:OLD.bank_id, SYS_GUID(), 'units:' || :OLD.fact_type, -1, SYSTIMESTAMP);
    END IF;
END;

/

CREATE OR REPLACE TRIGGER trg_memory_links_count
AFTER INSERT OR DELETE ON memory_links FOR EACH ROW
BEGIN
    IF INSERTING THEN
        INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) VALUES (:NEW.bank_id, SYS_GUID(), 'links:' || :NEW.link_type, 1, :NEW.created_at);
    ELSIF DELETING THEN
        INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) VALUES (:OLD.bank_id, SYS_GUID(), 'links:' || :OLD.link_type, -1, SYSTIMESTAMP);
    END IF;
END;

/

CREATE OR REPLACE TRIGGER trg_entities_count
AFTER INSERT OR DELETE ON entities FOR EACH ROW
BEGIN
    IF INSERTING THEN
        INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) VALUES (:NEW.bank_id, SYS_GUID(), 'entities', 1, :NEW.created_at);
    ELSIF DELETING THEN
        INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) VALUES (:OLD.bank_id, SYS_GUID(), 'entities', -1, SYSTIMESTAMP);
    END IF;
END;

/

CREATE OR REPLACE TRIGGER trg_documents_count
AFTER INSERT OR DELETE OR UPDATE ON documents FOR EACH ROW
BEGIN
    IF INSERTING THEN
        INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) VALUES (:NEW.bank_id, SYS_GUID(), 'documents', 1, :NEW.updated_at);
    ELSIF UPDATING THEN
        INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) VALUES (:NEW.bank_id, SYS_GUID(), 'documents', 0, :NEW.updated_at);
    ELSIF DELETING THEN
        INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) VALUES (:OLD.bank_id, SYS_GUID(), 'documents', -1, SYSTIMESTAMP);
    END IF;
END;

/

CREATE OR REPLACE TRIGGER trg_async_operations_count
AFTER INSERT OR DELETE OR UPDATE ON async_operations FOR EACH ROW
BEGIN
    IF INSERTING THEN
        INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) VALUES (:NEW.bank_id, SYS_GUID(), 'operations:' || :NEW.status, 1, NULL);
    ELSIF UPDATING THEN
        IF 'operations:' || :OLD.status <> 'operations:' || :NEW.status THEN
            INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) VALUES (:OLD.bank_id, SYS_GUID(), 'operations:' || :OLD.status, -1, NULL);
            INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) VALUES (:NEW.bank_id, SYS_GUID(), 'operations:' || :NEW.status, 1, NULL);
        END IF;
    ELSIF DELETING THEN
        INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) VALUES (:OLD.bank_id, SYS_GUID(), 'operations:' || :OLD.status, -1, NULL);
    END IF;
END;

/

DELETE FROM bank_stat_deltas

/

INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) SELECT r.bank_id, SYS_GUID(), 'units:' || r.fact_type, COUNT(*), MAX(r.created_at) FROM memory_units r GROUP BY r.bank_id, 'units:' || r.fact_type

/

INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) SELECT r.bank_id, SYS_GUID(), 'links:' || r.link_type, COUNT(*), MAX(r.created_at) FROM memory_links r GROUP BY r.bank_id, 'links:' || r.link_type

/

INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) SELECT r.bank_id, SYS_GUID(), 'entities', COUNT(*), MAX(r.created_at) FROM entities r GROUP BY r.bank_id

/

INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) SELECT r.bank_id, SYS_GUID(), 'documents', COUNT(*), MAX(r.updated_at) FROM documents r GROUP BY r.bank_id

/

INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) SELECT r.bank_id, SYS_GUID(), 'operations:' || r.status, COUNT(*), NULL FROM async_operations r GROUP BY r.bank_id, 'operations:' || r.status

/

UPDATE alembic_version SET version_num='0010' WHERE alembic_version.version_num = '0009'

/

-- Running upgrade 0010 -> 0011

UPDATE alembic_version SET version_num='0011' WHERE alembic_version.version_num = '0010'

/

-- Running upgrade 0011 -> 0012

UPDATE alembic_version SET version_num='0012' WHERE alembic_version.version_num = '0011'

/

-- Running upgrade 0012 -> 0013

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_indexes WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND index_name = 'IX_MEMORY_UNITS_BANK_MENTIONED';
    IF n = 0 THEN
        EXECUTE IMMEDIATE q'~CREATE INDEX ix_memory_units_bank_mentioned ON memory_units (bank_id, mentioned_at)~';
    END IF;
END;

/

DECLARE
    n PLS_INTEGER;
BEGIN
    SELECT COUNT(*) INTO n FROM all_indexes WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND index_name = 'IX_MEMORY_UNITS_BANK_OCCURRED';
    IF n = 0 THEN
        EXECUTE IMMEDIATE q'~CREATE INDEX ix_memory_units_bank_occurred ON memory_units (bank_id, occurred_start, occurred_end)~';
    END IF;
END;

/

UPDATE alembic_version SET version_num='0013' WHERE alembic_version.version_num = '0012'

/

-- Running upgrade 0013 -> 0014

UPDATE alembic_version SET version_num='0014' WHERE alembic_version.version_num = '0013'

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

