-- banks.stats [postgresql]
-- params: bank_id
SELECT (SELECT banks.name 
FROM banks 
WHERE banks.bank_id = $1::VARCHAR) AS name, (SELECT banks.updated_at 
FROM banks 
WHERE banks.bank_id = $1::VARCHAR) AS bank_written_at, (SELECT coalesce(sum(bank_stat_deltas.delta), 0) AS coalesce_1 
FROM bank_stat_deltas 
WHERE bank_stat_deltas.bank_id = $1::VARCHAR AND bank_stat_deltas.kind = 'units:world') AS units_world, (SELECT coalesce(sum(bank_stat_deltas.delta), 0) AS coalesce_1 
FROM bank_stat_deltas 
WHERE bank_stat_deltas.bank_id = $1::VARCHAR AND bank_stat_deltas.kind = 'units:experience') AS units_experience, (SELECT coalesce(sum(bank_stat_deltas.delta), 0) AS coalesce_1 
FROM bank_stat_deltas 
WHERE bank_stat_deltas.bank_id = $1::VARCHAR AND bank_stat_deltas.kind = 'units:observation') AS units_observation, (SELECT coalesce(sum(bank_stat_deltas.delta), 0) AS coalesce_1 
FROM bank_stat_deltas 
WHERE bank_stat_deltas.bank_id = $1::VARCHAR AND bank_stat_deltas.kind = 'links:temporal') AS links_temporal, (SELECT coalesce(sum(bank_stat_deltas.delta), 0) AS coalesce_1 
FROM bank_stat_deltas 
WHERE bank_stat_deltas.bank_id = $1::VARCHAR AND bank_stat_deltas.kind = 'links:semantic') AS links_semantic, (SELECT coalesce(sum(bank_stat_deltas.delta), 0) AS coalesce_1 
FROM bank_stat_deltas 
WHERE bank_stat_deltas.bank_id = $1::VARCHAR AND bank_stat_deltas.kind = 'links:entity') AS links_entity, (SELECT coalesce(sum(bank_stat_deltas.delta), 0) AS coalesce_1 
FROM bank_stat_deltas 
WHERE bank_stat_deltas.bank_id = $1::VARCHAR AND bank_stat_deltas.kind = 'links:causal') AS links_causal, (SELECT coalesce(sum(bank_stat_deltas.delta), 0) AS coalesce_1 
FROM bank_stat_deltas 
WHERE bank_stat_deltas.bank_id = $1::VARCHAR AND bank_stat_deltas.kind = 'entities') AS entities, (SELECT coalesce(sum(bank_stat_deltas.delta), 0) AS coalesce_1 
FROM bank_stat_deltas 
WHERE bank_stat_deltas.bank_id = $1::VARCHAR AND bank_stat_deltas.kind = 'documents') AS documents, (SELECT coalesce(sum(bank_stat_deltas.delta), 0) AS coalesce_1 
FROM bank_stat_deltas 
WHERE bank_stat_deltas.bank_id = $1::VARCHAR AND bank_stat_deltas.kind = 'operations:pending') AS operations_pending, (SELECT coalesce(sum(bank_stat_deltas.delta), 0) AS coalesce_1 
FROM bank_stat_deltas 
WHERE bank_stat_deltas.bank_id = $1::VARCHAR AND bank_stat_deltas.kind = 'operations:waiting') AS operations_waiting, (SELECT coalesce(sum(bank_stat_deltas.delta), 0) AS coalesce_1 
FROM bank_stat_deltas 
WHERE bank_stat_deltas.bank_id = $1::VARCHAR AND bank_stat_deltas.kind = 'operations:failed') AS operations_failed, (SELECT max(bank_stat_deltas.written_at) AS max_1 
FROM bank_stat_deltas 
WHERE bank_stat_deltas.bank_id = $1::VARCHAR) AS counted_written_at, (SELECT count(*) AS count_1 
FROM bank_stat_deltas 
WHERE bank_stat_deltas.bank_id = $1::VARCHAR) AS counter_rows
