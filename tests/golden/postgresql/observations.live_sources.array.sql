-- observations.live_sources.array [postgresql]
-- params: bank_id, id
SELECT src.id 
FROM memory_units AS src 
WHERE src.bank_id = $1::VARCHAR AND src.id IN (SELECT unnest(obs.source_memory_ids) AS unnest_1 
FROM memory_units AS obs 
WHERE obs.bank_id = $1::VARCHAR AND obs.id = $2::UUID) ORDER BY src.id
