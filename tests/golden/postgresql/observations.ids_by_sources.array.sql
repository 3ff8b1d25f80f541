-- observations.ids_by_sources.array [postgresql]
-- params: bank_id, source_ids
SELECT memory_units.id 
FROM memory_units 
WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.fact_type = 'observation' AND (memory_units.source_memory_ids && $2::UUID[])
