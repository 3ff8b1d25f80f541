-- banks.stats [postgresql]
-- params: bank_id
SELECT (SELECT banks.name 
FROM banks 
WHERE banks.bank_id = $1::VARCHAR) AS name, (SELECT count(*) AS count_1 
FROM memory_units 
WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.fact_type = 'world') AS units_world, (SELECT count(*) AS count_2 
FROM memory_units 
WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.fact_type = 'experience') AS units_experience, (SELECT count(*) AS count_3 
FROM memory_units 
WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.fact_type = 'observation') AS units_observation, (SELECT count(*) AS count_4 
FROM memory_links 
WHERE memory_links.bank_id = $1::VARCHAR AND memory_links.link_type = 'temporal') AS links_temporal, (SELECT count(*) AS count_5 
FROM memory_links 
WHERE memory_links.bank_id = $1::VARCHAR AND memory_links.link_type = 'semantic') AS links_semantic, (SELECT count(*) AS count_6 
FROM memory_links 
WHERE memory_links.bank_id = $1::VARCHAR AND memory_links.link_type = 'entity') AS links_entity, (SELECT count(*) AS count_7 
FROM memory_links 
WHERE memory_links.bank_id = $1::VARCHAR AND memory_links.link_type = 'causal') AS links_causal, (SELECT count(*) AS count_8 
FROM entities 
WHERE entities.bank_id = $1::VARCHAR) AS entities, (SELECT count(*) AS count_9 
FROM documents 
WHERE documents.bank_id = $1::VARCHAR) AS documents, (SELECT count(*) AS count_10 
FROM async_operations 
WHERE async_operations.bank_id = $1::VARCHAR AND async_operations.status = 'pending') AS operations_pending, (SELECT count(*) AS count_11 
FROM async_operations 
WHERE async_operations.bank_id = $1::VARCHAR AND async_operations.status = 'failed') AS operations_failed, (SELECT banks.updated_at 
FROM banks 
WHERE banks.bank_id = $1::VARCHAR) AS bank_written_at, (SELECT max(memory_units.created_at) AS max_1 
FROM memory_units 
WHERE memory_units.bank_id = $1::VARCHAR) AS unit_written_at, (SELECT max(documents.updated_at) AS max_2 
FROM documents 
WHERE documents.bank_id = $1::VARCHAR) AS document_written_at
