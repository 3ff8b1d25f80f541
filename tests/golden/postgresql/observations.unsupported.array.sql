-- observations.unsupported.array [postgresql]
-- params: bank_id
SELECT memory_units.id 
FROM memory_units 
WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.fact_type = 'observation' AND NOT (EXISTS (SELECT * 
FROM memory_units AS src 
WHERE src.bank_id = $1::VARCHAR AND src.id = ANY (memory_units.source_memory_ids)))
