BEGIN;

CREATE TABLE public.alembic_version (
    version_num VARCHAR(32) NOT NULL, 
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> 0001

CREATE TABLE banks (
    bank_id VARCHAR(255) NOT NULL, 
    name VARCHAR(255) NOT NULL, 
    metadata JSONB, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_banks PRIMARY KEY (bank_id)
);

CREATE TABLE async_operations (
    id UUID NOT NULL, 
    bank_id VARCHAR(255) NOT NULL, 
    operation_type VARCHAR(64) NOT NULL, 
    status VARCHAR(16) NOT NULL, 
    payload JSONB, 
    result JSONB, 
    error_message TEXT, 
    attempts INTEGER NOT NULL, 
    max_attempts INTEGER NOT NULL, 
    next_attempt_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    parent_id UUID, 
    claimed_by VARCHAR(255), 
    claimed_at TIMESTAMP WITH TIME ZONE, 
    completed_at TIMESTAMP WITH TIME ZONE, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_async_operations PRIMARY KEY (id), 
    CONSTRAINT ck_async_operations_status CHECK (status IN ('pending', 'processing', 'completed', 'failed')), 
    CONSTRAINT ck_async_operations_attempts CHECK (attempts >= 0 AND max_attempts >= 1), 
    CONSTRAINT fk_async_operations_bank_id_banks FOREIGN KEY(bank_id) REFERENCES banks (bank_id) ON DELETE CASCADE, 
    CONSTRAINT fk_async_operations_parent_id_async_operations FOREIGN KEY(parent_id) REFERENCES async_operations (id) ON DELETE CASCADE
);

CREATE INDEX ix_async_operations_bank_status ON async_operations (bank_id, status);

CREATE INDEX ix_async_operations_claimable ON async_operations (next_attempt_at) WHERE status IN ('pending', 'processing');

CREATE INDEX ix_async_operations_parent ON async_operations (parent_id);

CREATE TABLE documents (
    bank_id VARCHAR(255) NOT NULL, 
    document_id VARCHAR(255) NOT NULL, 
    content_hash VARCHAR(64) NOT NULL, 
    content TEXT, 
    metadata JSONB, 
    version INTEGER NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_documents PRIMARY KEY (bank_id, document_id), 
    CONSTRAINT fk_documents_bank_id_banks FOREIGN KEY(bank_id) REFERENCES banks (bank_id) ON DELETE CASCADE
);

CREATE TABLE entities (
    id UUID NOT NULL, 
    bank_id VARCHAR(255) NOT NULL, 
    name VARCHAR(255) NOT NULL, 
    canonical_name VARCHAR(255) NOT NULL, 
    entity_type VARCHAR(64), 
    metadata JSONB, 
    mention_count INTEGER NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_entities PRIMARY KEY (id), 
    CONSTRAINT fk_entities_bank_id_banks FOREIGN KEY(bank_id) REFERENCES banks (bank_id) ON DELETE CASCADE, 
    CONSTRAINT uq_entities_bank_canonical_name UNIQUE (bank_id, canonical_name)
);

CREATE TABLE chunks (
    bank_id VARCHAR(255) NOT NULL, 
    chunk_id VARCHAR(255) NOT NULL, 
    document_id VARCHAR(255) NOT NULL, 
    chunk_index INTEGER NOT NULL, 
    text TEXT NOT NULL, 
    CONSTRAINT pk_chunks PRIMARY KEY (bank_id, chunk_id), 
    CONSTRAINT fk_chunks_document FOREIGN KEY(bank_id, document_id) REFERENCES documents (bank_id, document_id) ON DELETE CASCADE
);

CREATE INDEX ix_chunks_document ON chunks (bank_id, document_id, chunk_index);

CREATE TABLE memory_units (
    id UUID NOT NULL, 
    bank_id VARCHAR(255) NOT NULL, 
    document_id VARCHAR(255), 
    chunk_id VARCHAR(255), 
    text TEXT NOT NULL, 
    context TEXT, 
    embedding VECTOR(384) NOT NULL, 
    fact_type VARCHAR(16) NOT NULL, 
    event_date TIMESTAMP WITH TIME ZONE, 
    occurred_start TIMESTAMP WITH TIME ZONE, 
    occurred_end TIMESTAMP WITH TIME ZONE, 
    mentioned_at TIMESTAMP WITH TIME ZONE, 
    tags TEXT[], 
    metadata JSONB, 
    proof_count INTEGER NOT NULL, 
    source_memory_ids UUID[], 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_memory_units PRIMARY KEY (id), 
    CONSTRAINT ck_memory_units_fact_type CHECK (fact_type IN ('world', 'experience', 'observation')), 
    CONSTRAINT ck_memory_units_proof_count CHECK (proof_count >= 0), 
    CONSTRAINT fk_memory_units_document FOREIGN KEY(bank_id, document_id) REFERENCES documents (bank_id, document_id) ON DELETE CASCADE, 
    CONSTRAINT fk_memory_units_bank_id_banks FOREIGN KEY(bank_id) REFERENCES banks (bank_id) ON DELETE CASCADE
);

CREATE INDEX ix_memory_units_bank_created ON memory_units (bank_id, created_at, id);

CREATE INDEX ix_memory_units_bank_fact_date ON memory_units (bank_id, fact_type, event_date);

CREATE INDEX ix_memory_units_document ON memory_units (bank_id, document_id);

CREATE INDEX ix_memory_units_embedding_hnsw ON memory_units USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);

CREATE INDEX ix_memory_units_text_fts ON memory_units USING gin (to_tsvector('english'::regconfig, text));

CREATE INDEX ix_memory_units_source_ids ON memory_units USING gin (source_memory_ids);

CREATE TABLE memory_links (
    from_unit_id UUID NOT NULL, 
    to_unit_id UUID NOT NULL, 
    link_type VARCHAR(16) NOT NULL, 
    bank_id VARCHAR(255) NOT NULL, 
    weight FLOAT NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_memory_links PRIMARY KEY (from_unit_id, to_unit_id, link_type), 
    CONSTRAINT ck_memory_links_link_type CHECK (link_type IN ('temporal', 'semantic', 'entity', 'causal')), 
    CONSTRAINT ck_memory_links_weight CHECK (weight >= 0 AND weight <= 1), 
    CONSTRAINT fk_memory_links_bank_id_banks FOREIGN KEY(bank_id) REFERENCES banks (bank_id) ON DELETE CASCADE, 
    CONSTRAINT fk_memory_links_from_unit_id_memory_units FOREIGN KEY(from_unit_id) REFERENCES memory_units (id) ON DELETE CASCADE, 
    CONSTRAINT fk_memory_links_to_unit_id_memory_units FOREIGN KEY(to_unit_id) REFERENCES memory_units (id) ON DELETE CASCADE
);

CREATE INDEX ix_memory_links_to_unit ON memory_links (to_unit_id);

CREATE TABLE observation_sources (
    observation_id UUID NOT NULL, 
    source_id UUID NOT NULL, 
    bank_id VARCHAR(255) NOT NULL, 
    CONSTRAINT pk_observation_sources PRIMARY KEY (observation_id, source_id), 
    CONSTRAINT fk_observation_sources_bank_id_banks FOREIGN KEY(bank_id) REFERENCES banks (bank_id) ON DELETE CASCADE, 
    CONSTRAINT fk_observation_sources_observation_id_memory_units FOREIGN KEY(observation_id) REFERENCES memory_units (id) ON DELETE CASCADE
);

CREATE INDEX ix_observation_sources_source ON observation_sources (source_id);

CREATE TABLE unit_entities (
    unit_id UUID NOT NULL, 
    entity_id UUID NOT NULL, 
    bank_id VARCHAR(255) NOT NULL, 
    CONSTRAINT pk_unit_entities PRIMARY KEY (unit_id, entity_id), 
    CONSTRAINT fk_unit_entities_bank_id_banks FOREIGN KEY(bank_id) REFERENCES banks (bank_id) ON DELETE CASCADE, 
    CONSTRAINT fk_unit_entities_entity_id_entities FOREIGN KEY(entity_id) REFERENCES entities (id) ON DELETE CASCADE, 
    CONSTRAINT fk_unit_entities_unit_id_memory_units FOREIGN KEY(unit_id) REFERENCES memory_units (id) ON DELETE CASCADE
);

CREATE INDEX ix_unit_entities_entity ON unit_entities (entity_id, unit_id);

INSERT INTO public.alembic_version (version_num) VALUES ('0001') RETURNING public.alembic_version.version_num;

-- Running upgrade 0001 -> 0002

ALTER TABLE memory_units ADD COLUMN consolidated_at TIMESTAMP WITH TIME ZONE;

ALTER TABLE memory_units ADD COLUMN consolidation_failed_at TIMESTAMP WITH TIME ZONE;

ALTER TABLE memory_units ADD COLUMN invalidated_at TIMESTAMP WITH TIME ZONE;

CREATE INDEX ix_memory_units_bank_consolidated ON memory_units (bank_id, consolidated_at, created_at, id);

CREATE TABLE observation_history (
    id UUID NOT NULL, 
    bank_id VARCHAR(255) NOT NULL, 
    observation_id UUID NOT NULL, 
    previous_text TEXT NOT NULL, 
    sources_added JSONB, 
    reason VARCHAR(255), 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT pk_observation_history PRIMARY KEY (id), 
    CONSTRAINT fk_observation_history_bank_id_banks FOREIGN KEY(bank_id) REFERENCES banks (bank_id) ON DELETE CASCADE, 
    CONSTRAINT fk_observation_history_observation_id_memory_units FOREIGN KEY(observation_id) REFERENCES memory_units (id) ON DELETE CASCADE
);

CREATE INDEX ix_observation_history_observation ON observation_history (bank_id, observation_id, created_at);

UPDATE public.alembic_version SET version_num='0002' WHERE public.alembic_version.version_num = '0001';

-- Running upgrade 0002 -> 0003

DELETE FROM memory_links WHERE from_unit_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM memory_units r WHERE r.bank_id = memory_links.bank_id AND r.id = memory_links.from_unit_id);

DELETE FROM memory_links WHERE to_unit_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM memory_units r WHERE r.bank_id = memory_links.bank_id AND r.id = memory_links.to_unit_id);

DELETE FROM unit_entities WHERE unit_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM memory_units r WHERE r.bank_id = unit_entities.bank_id AND r.id = unit_entities.unit_id);

DELETE FROM unit_entities WHERE entity_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM entities r WHERE r.bank_id = unit_entities.bank_id AND r.id = unit_entities.entity_id);

DELETE FROM observation_sources WHERE observation_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM memory_units r WHERE r.bank_id = observation_sources.bank_id AND r.id = observation_sources.observation_id);

DELETE FROM observation_history WHERE observation_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM memory_units r WHERE r.bank_id = observation_history.bank_id AND r.id = observation_history.observation_id);

DELETE FROM async_operations WHERE parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM async_operations r WHERE r.bank_id = async_operations.bank_id AND r.id = async_operations.parent_id);

ALTER TABLE memory_links DROP CONSTRAINT fk_memory_links_from_unit_id_memory_units;

ALTER TABLE memory_links DROP CONSTRAINT fk_memory_links_to_unit_id_memory_units;

ALTER TABLE unit_entities DROP CONSTRAINT fk_unit_entities_unit_id_memory_units;

ALTER TABLE unit_entities DROP CONSTRAINT fk_unit_entities_entity_id_entities;

ALTER TABLE observation_sources DROP CONSTRAINT fk_observation_sources_observation_id_memory_units;

ALTER TABLE observation_history DROP CONSTRAINT fk_observation_history_observation_id_memory_units;

ALTER TABLE async_operations DROP CONSTRAINT fk_async_operations_parent_id_async_operations;

ALTER TABLE memory_units DROP CONSTRAINT pk_memory_units;

ALTER TABLE memory_units ADD CONSTRAINT pk_memory_units PRIMARY KEY (bank_id, id);

ALTER TABLE entities DROP CONSTRAINT pk_entities;

ALTER TABLE entities ADD CONSTRAINT pk_entities PRIMARY KEY (bank_id, id);

ALTER TABLE async_operations DROP CONSTRAINT pk_async_operations;

ALTER TABLE async_operations ADD CONSTRAINT pk_async_operations PRIMARY KEY (bank_id, id);

ALTER TABLE observation_history DROP CONSTRAINT pk_observation_history;

ALTER TABLE observation_history ADD CONSTRAINT pk_observation_history PRIMARY KEY (bank_id, id);

ALTER TABLE memory_links DROP CONSTRAINT pk_memory_links;

ALTER TABLE memory_links ADD CONSTRAINT pk_memory_links PRIMARY KEY (bank_id, from_unit_id, to_unit_id, link_type);

ALTER TABLE unit_entities DROP CONSTRAINT pk_unit_entities;

ALTER TABLE unit_entities ADD CONSTRAINT pk_unit_entities PRIMARY KEY (bank_id, unit_id, entity_id);

ALTER TABLE observation_sources DROP CONSTRAINT pk_observation_sources;

ALTER TABLE observation_sources ADD CONSTRAINT pk_observation_sources PRIMARY KEY (bank_id, observation_id, source_id);

CREATE INDEX ix_async_operations_id ON async_operations (id);

DROP INDEX ix_unit_entities_entity;

CREATE INDEX ix_unit_entities_entity ON unit_entities (bank_id, entity_id, unit_id);

DROP INDEX ix_memory_links_to_unit;

CREATE INDEX ix_memory_links_to_unit ON memory_links (bank_id, to_unit_id);

DROP INDEX ix_observation_sources_source;

CREATE INDEX ix_observation_sources_source ON observation_sources (bank_id, source_id);

ALTER TABLE memory_links ADD CONSTRAINT fk_memory_links_from_unit FOREIGN KEY (bank_id, from_unit_id) REFERENCES memory_units (bank_id, id) ON DELETE CASCADE;

ALTER TABLE memory_links ADD CONSTRAINT fk_memory_links_to_unit FOREIGN KEY (bank_id, to_unit_id) REFERENCES memory_units (bank_id, id) ON DELETE CASCADE;

ALTER TABLE unit_entities ADD CONSTRAINT fk_unit_entities_unit FOREIGN KEY (bank_id, unit_id) REFERENCES memory_units (bank_id, id) ON DELETE CASCADE;

ALTER TABLE unit_entities ADD CONSTRAINT fk_unit_entities_entity FOREIGN KEY (bank_id, entity_id) REFERENCES entities (bank_id, id) ON DELETE CASCADE;

ALTER TABLE observation_sources ADD CONSTRAINT fk_observation_sources_observation FOREIGN KEY (bank_id, observation_id) REFERENCES memory_units (bank_id, id) ON DELETE CASCADE;

ALTER TABLE observation_history ADD CONSTRAINT fk_observation_history_observation FOREIGN KEY (bank_id, observation_id) REFERENCES memory_units (bank_id, id) ON DELETE CASCADE;

ALTER TABLE async_operations ADD CONSTRAINT fk_async_operations_parent FOREIGN KEY (bank_id, parent_id) REFERENCES async_operations (bank_id, id) ON DELETE CASCADE;

UPDATE public.alembic_version SET version_num='0003' WHERE public.alembic_version.version_num = '0002';

-- Running upgrade 0003 -> 0004

UPDATE entities SET mention_count = (SELECT COUNT(*) FROM unit_entities m WHERE m.bank_id = entities.bank_id AND m.entity_id = entities.id);

DELETE FROM entities WHERE NOT EXISTS (SELECT 1 FROM unit_entities m WHERE m.bank_id = entities.bank_id AND m.entity_id = entities.id);

UPDATE public.alembic_version SET version_num='0004' WHERE public.alembic_version.version_num = '0003';

-- Running upgrade 0004 -> 0005

CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;

CREATE INDEX ix_entities_name_trgm ON entities USING gist (canonical_name gist_trgm_ops);

CREATE TABLE entity_cooccurrences (
    bank_id VARCHAR(255) NOT NULL, 
    entity_id UUID NOT NULL, 
    other_id UUID NOT NULL, 
    units INTEGER NOT NULL, 
    CONSTRAINT pk_entity_cooccurrences PRIMARY KEY (bank_id, entity_id, other_id), 
    CONSTRAINT ck_entity_cooccurrences_units CHECK (units >= 0), 
    CONSTRAINT fk_entity_cooccurrences_bank_id_banks FOREIGN KEY(bank_id) REFERENCES banks (bank_id) ON DELETE CASCADE, 
    CONSTRAINT fk_entity_cooccurrences_entity FOREIGN KEY(bank_id, entity_id) REFERENCES entities (bank_id, id) ON DELETE CASCADE, 
    CONSTRAINT fk_entity_cooccurrences_other FOREIGN KEY(bank_id, other_id) REFERENCES entities (bank_id, id) ON DELETE CASCADE
);

CREATE INDEX ix_entity_cooccurrences_strongest ON entity_cooccurrences (bank_id, entity_id, units);

CREATE INDEX ix_entity_cooccurrences_other ON entity_cooccurrences (bank_id, other_id);

INSERT INTO entity_cooccurrences (bank_id, entity_id, other_id, units) SELECT a.bank_id, a.entity_id, b.entity_id, COUNT(*) FROM unit_entities a JOIN unit_entities b ON b.bank_id = a.bank_id AND b.unit_id = a.unit_id AND b.entity_id <> a.entity_id GROUP BY a.bank_id, a.entity_id, b.entity_id;

UPDATE public.alembic_version SET version_num='0005' WHERE public.alembic_version.version_num = '0004';

-- Running upgrade 0005 -> 0006

ALTER TABLE chunks ADD COLUMN content_hash VARCHAR(64);

UPDATE chunks SET content_hash = encode(sha256(convert_to(text, 'UTF8')), 'hex');

UPDATE public.alembic_version SET version_num='0006' WHERE public.alembic_version.version_num = '0005';

-- Running upgrade 0006 -> 0007

ALTER TABLE async_operations ADD unfinished_children INTEGER DEFAULT 0 NOT NULL;

ALTER TABLE async_operations DROP CONSTRAINT ck_async_operations_status;

ALTER TABLE async_operations ADD CONSTRAINT ck_async_operations_status CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'waiting'));

ALTER TABLE async_operations ADD CONSTRAINT ck_async_operations_unfinished_children CHECK (unfinished_children >= 0);

UPDATE async_operations SET unfinished_children = (SELECT COUNT(*) FROM async_operations c WHERE c.bank_id = async_operations.bank_id AND c.parent_id = async_operations.id AND c.status IN ('pending', 'processing')) WHERE status = 'pending' AND EXISTS (SELECT 1 FROM async_operations c WHERE c.bank_id = async_operations.bank_id AND c.parent_id = async_operations.id);

UPDATE async_operations SET status = 'waiting', claimed_by = NULL WHERE status = 'pending' AND unfinished_children > 0 AND EXISTS (SELECT 1 FROM async_operations c WHERE c.bank_id = async_operations.bank_id AND c.parent_id = async_operations.id);

UPDATE async_operations SET status = CASE WHEN EXISTS (SELECT 1 FROM async_operations c WHERE c.bank_id = async_operations.bank_id AND c.parent_id = async_operations.id AND c.status = 'failed') THEN 'failed' ELSE 'completed' END, error_message = CASE WHEN EXISTS (SELECT 1 FROM async_operations c WHERE c.bank_id = async_operations.bank_id AND c.parent_id = async_operations.id AND c.status = 'failed') THEN 'a child operation failed' ELSE error_message END, claimed_by = NULL, completed_at = CURRENT_TIMESTAMP, updated_at = CURRENT_TIMESTAMP WHERE status = 'pending' AND EXISTS (SELECT 1 FROM async_operations c WHERE c.bank_id = async_operations.bank_id AND c.parent_id = async_operations.id);

UPDATE public.alembic_version SET version_num='0007' WHERE public.alembic_version.version_num = '0006';

-- Running upgrade 0007 -> 0008

ALTER TABLE memory_units SET (toast_tuple_target = 4080);

ALTER TABLE memory_units ALTER COLUMN embedding SET STORAGE MAIN;

ALTER TABLE memory_units ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, text) || to_tsvector('english'::regconfig, left(coalesce(context, ''), 8192))) STORED;

CREATE INDEX ix_memory_units_search_vector ON memory_units USING gin (search_vector);

DROP INDEX IF EXISTS ix_memory_units_text_fts;

CREATE OR REPLACE FUNCTION text_search_query(query text) RETURNS tsquery LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN websearch_to_tsquery('english'::regconfig, query);

UPDATE public.alembic_version SET version_num='0008' WHERE public.alembic_version.version_num = '0007';

-- Running upgrade 0008 -> 0009

CREATE INDEX IF NOT EXISTS ix_memory_units_embedding_hnsw_world ON memory_units USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64) WHERE fact_type = 'world';

CREATE INDEX IF NOT EXISTS ix_memory_units_embedding_hnsw_experience ON memory_units USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64) WHERE fact_type = 'experience';

CREATE INDEX IF NOT EXISTS ix_memory_units_embedding_hnsw_observation ON memory_units USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64) WHERE fact_type = 'observation';

DROP INDEX IF EXISTS ix_memory_units_embedding_hnsw;

UPDATE public.alembic_version SET version_num='0009' WHERE public.alembic_version.version_num = '0008';

-- Running upgrade 0009 -> 0010

CREATE TABLE bank_stat_deltas (
    bank_id VARCHAR(255) NOT NULL, 
    id UUID NOT NULL, 
    kind VARCHAR(64) NOT NULL, 
    delta BIGINT NOT NULL, 
    written_at TIMESTAMP WITH TIME ZONE, 
    CONSTRAINT pk_bank_stat_deltas PRIMARY KEY (bank_id, id), 
    CONSTRAINT fk_bank_stat_deltas_bank_id_banks FOREIGN KEY(bank_id) REFERENCES banks (bank_id) ON DELETE CASCADE
);

CREATE INDEX ix_bank_stat_deltas_kind ON bank_stat_deltas (bank_id, kind);

CREATE FUNCTION "public".memrepo_count_memory_units() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO "public".bank_stat_deltas (bank_id, id, kind, delta, written_at)
        SELECT r.bank_id, gen_random_uuid(), 'units:' || r.fact_type, COUNT(*), MAX(r.created_at)
        FROM new_rows r GROUP BY r.bank_id, 'units:' || r.fact_type;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO "public".bank_stat_deltas (bank_id, id, kind, delta, written_at)
        SELECT r.bank_id, gen_random_uuid(), 'units:' || r.fact_type, -COUNT(*), now()
        FROM old_rows r WHERE EXISTS (SELECT 1 FROM "public".banks b WHERE b.bank_id = r.bank_id)
        GROUP BY r.bank_id, 'units:' || r.fact_type;
    END IF;
    RETURN NULL;
END
$body$;

CREATE TRIGGER memrepo_count_insert AFTER INSERT ON "public".memory_units REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "public".memrepo_count_memory_units();

CREATE TRIGGER memrepo_count_delete AFTER DELETE ON "public".memory_units REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "public".memrepo_count_memory_units();

CREATE FUNCTION "public".memrepo_count_memory_links() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO "public".bank_stat_deltas (bank_id, id, kind, delta, written_at)
        SELECT r.bank_id, gen_random_uuid(), 'links:' || r.link_type, COUNT(*), MAX(r.created_at)
        FROM new_rows r GROUP BY r.bank_id, 'links:' || r.link_type;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO "public".bank_stat_deltas (bank_id, id, kind, delta, written_at)
        SELECT r.bank_id, gen_random_uuid(), 'links:' || r.link_type, -COUNT(*), now()
        FROM old_rows r WHERE EXISTS (SELECT 1 FROM "public".banks b WHERE b.bank_id = r.bank_id)
        GROUP BY r.bank_id, 'links:' || r.link_type;
    END IF;
    RETURN NULL;
END
$body$;

CREATE TRIGGER memrepo_count_insert AFTER INSERT ON "public".memory_links REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "public".memrepo_count_memory_links();

CREATE TRIGGER memrepo_count_delete AFTER DELETE ON "public".memory_links REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "public".memrepo_count_memory_links();

CREATE FUNCTION "public".memrepo_count_entities() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO "public".bank_stat_deltas (bank_id, id, kind, delta, written_at)
        SELECT r.bank_id, gen_random_uuid(), 'entities', COUNT(*), MAX(r.created_at)
        FROM new_rows r GROUP BY r.bank_id;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO "public".bank_stat_deltas (bank_id, id, kind, delta, written_at)
        SELECT r.bank_id, gen_random_uuid(), 'entities', -COUNT(*), now()
        FROM old_rows r WHERE EXISTS (SELECT 1 FROM "public".banks b WHERE b.bank_id = r.bank_id)
        GROUP BY r.bank_id;
    END IF;
    RETURN NULL;
END
$body$;

CREATE TRIGGER memrepo_count_insert AFTER INSERT ON "public".entities REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "public".memrepo_count_entities();

CREATE TRIGGER memrepo_count_delete AFTER DELETE ON "public".entities REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "public".memrepo_count_entities();

CREATE FUNCTION "public".memrepo_count_documents() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO "public".bank_stat_deltas (bank_id, id, kind, delta, written_at)
        SELECT r.bank_id, gen_random_uuid(), 'documents', COUNT(*), MAX(r.updated_at)
        FROM new_rows r GROUP BY r.bank_id;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO "public".bank_stat_deltas (bank_id, id, kind, delta, written_at)
        SELECT c.bank_id, gen_random_uuid(), c.kind, SUM(c.n), MAX(c.at) FROM (
            SELECT r.bank_id, 'documents' AS kind, 1 AS n, r.updated_at AS at FROM new_rows r
            UNION ALL SELECT r.bank_id, 'documents', -1, NULL FROM old_rows r
        ) c GROUP BY c.bank_id, c.kind
        HAVING SUM(c.n) <> 0 OR MAX(c.at) IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO "public".bank_stat_deltas (bank_id, id, kind, delta, written_at)
        SELECT r.bank_id, gen_random_uuid(), 'documents', -COUNT(*), now()
        FROM old_rows r WHERE EXISTS (SELECT 1 FROM "public".banks b WHERE b.bank_id = r.bank_id)
        GROUP BY r.bank_id;
    END IF;
    RETURN NULL;
END
$body$;

CREATE TRIGGER memrepo_count_insert AFTER INSERT ON "public".documents REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "public".memrepo_count_documents();

CREATE TRIGGER memrepo_count_delete AFTER DELETE ON "public".documents REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "public".memrepo_count_documents();

CREATE TRIGGER memrepo_count_update AFTER UPDATE ON "public".documents REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "public".memrepo_count_documents();

CREATE FUNCTION "public".memrepo_count_async_operations() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO "public".bank_stat_deltas (bank_id, id, kind, delta, written_at)
        SELECT r.bank_id, gen_random_uuid(), 'operations:' || r.status, COUNT(*), NULL
        FROM new_rows r GROUP BY r.bank_id, 'operations:' || r.status;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO "public".bank_stat_deltas (bank_id, id, kind, delta, written_at)
        SELECT c.bank_id, gen_random_uuid(), c.kind, SUM(c.n), MAX(c.at) FROM (
            SELECT r.bank_id, 'operations:' || r.status AS kind, 1 AS n, CAST(NULL AS timestamptz) AS at FROM new_rows r
            UNION ALL SELECT r.bank_id, 'operations:' || r.status, -1, NULL FROM old_rows r
        ) c GROUP BY c.bank_id, c.kind
        HAVING SUM(c.n) <> 0 OR MAX(c.at) IS NOT NULL;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO "public".bank_stat_deltas (bank_id, id, kind, delta, written_at)
        SELECT r.bank_id, gen_random_uuid(), 'operations:' || r.status, -COUNT(*), NULL
        FROM old_rows r WHERE EXISTS (SELECT 1 FROM "public".banks b WHERE b.bank_id = r.bank_id)
        GROUP BY r.bank_id, 'operations:' || r.status;
    END IF;
    RETURN NULL;
END
$body$;

CREATE TRIGGER memrepo_count_insert AFTER INSERT ON "public".async_operations REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "public".memrepo_count_async_operations();

CREATE TRIGGER memrepo_count_delete AFTER DELETE ON "public".async_operations REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "public".memrepo_count_async_operations();

CREATE TRIGGER memrepo_count_update AFTER UPDATE ON "public".async_operations REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "public".memrepo_count_async_operations();

INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) SELECT r.bank_id, gen_random_uuid(), 'units:' || r.fact_type, COUNT(*), MAX(r.created_at) FROM memory_units r GROUP BY r.bank_id, 'units:' || r.fact_type;

INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) SELECT r.bank_id, gen_random_uuid(), 'links:' || r.link_type, COUNT(*), MAX(r.created_at) FROM memory_links r GROUP BY r.bank_id, 'links:' || r.link_type;

INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) SELECT r.bank_id, gen_random_uuid(), 'entities', COUNT(*), MAX(r.created_at) FROM entities r GROUP BY r.bank_id;

INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) SELECT r.bank_id, gen_random_uuid(), 'documents', COUNT(*), MAX(r.updated_at) FROM documents r GROUP BY r.bank_id;

INSERT INTO bank_stat_deltas (bank_id, id, kind, delta, written_at) SELECT r.bank_id, gen_random_uuid(), 'operations:' || r.status, COUNT(*), NULL FROM async_operations r GROUP BY r.bank_id, 'operations:' || r.status;

UPDATE public.alembic_version SET version_num='0010' WHERE public.alembic_version.version_num = '0009';

-- Running upgrade 0010 -> 0011

CREATE INDEX IF NOT EXISTS ix_memory_units_tags ON memory_units USING gin (tags);

UPDATE public.alembic_version SET version_num='0011' WHERE public.alembic_version.version_num = '0010';

-- Running upgrade 0011 -> 0012

CREATE INDEX IF NOT EXISTS ix_memory_units_untagged ON memory_units (bank_id, fact_type) WHERE COALESCE(cardinality(tags), 0) = 0;

CREATE STATISTICS IF NOT EXISTS st_memory_units_tag_count ON (COALESCE(cardinality(tags), 0)) FROM memory_units;

UPDATE public.alembic_version SET version_num='0012' WHERE public.alembic_version.version_num = '0011';

-- Running upgrade 0012 -> 0013

CREATE INDEX IF NOT EXISTS ix_memory_units_bank_mentioned ON memory_units (bank_id, mentioned_at);

CREATE INDEX IF NOT EXISTS ix_memory_units_occurred ON memory_units USING gist (tstzrange(occurred_start, greatest(occurred_start, coalesce(occurred_end, occurred_start)), '[]')) WHERE occurred_start IS NOT NULL;

UPDATE public.alembic_version SET version_num='0013' WHERE public.alembic_version.version_num = '0012';

-- Running upgrade 0013 -> 0014

CREATE INDEX IF NOT EXISTS ix_memory_units_embedding_hnsw_world_rebuilt ON memory_units USING hnsw (embedding vector_cosine_ops) WITH (m = 24, ef_construction = 128) WHERE fact_type = 'world';

CREATE INDEX IF NOT EXISTS ix_memory_units_embedding_hnsw_experience_rebuilt ON memory_units USING hnsw (embedding vector_cosine_ops) WITH (m = 24, ef_construction = 128) WHERE fact_type = 'experience';

CREATE INDEX IF NOT EXISTS ix_memory_units_embedding_hnsw_observation_rebuilt ON memory_units USING hnsw (embedding vector_cosine_ops) WITH (m = 24, ef_construction = 128) WHERE fact_type = 'observation';

DROP INDEX IF EXISTS ix_memory_units_embedding_hnsw_world;

ALTER INDEX ix_memory_units_embedding_hnsw_world_rebuilt RENAME TO ix_memory_units_embedding_hnsw_world;

DROP INDEX IF EXISTS ix_memory_units_embedding_hnsw_experience;

ALTER INDEX ix_memory_units_embedding_hnsw_experience_rebuilt RENAME TO ix_memory_units_embedding_hnsw_experience;

DROP INDEX IF EXISTS ix_memory_units_embedding_hnsw_observation;

ALTER INDEX ix_memory_units_embedding_hnsw_observation_rebuilt RENAME TO ix_memory_units_embedding_hnsw_observation;

UPDATE public.alembic_version SET version_num='0014' WHERE public.alembic_version.version_num = '0013';

COMMIT;

