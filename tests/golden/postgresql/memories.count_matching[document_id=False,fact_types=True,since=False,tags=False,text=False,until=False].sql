-- memories.count_matching[document_id=False,fact_types=True,since=False,tags=False,text=False,until=False] [postgresql]
-- params: bank_id, fact_types
SELECT count(*) AS count_1 
FROM memory_units 
WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.invalidated_at IS NULL AND memory_units.fact_type = ANY($2::VARCHAR[])
