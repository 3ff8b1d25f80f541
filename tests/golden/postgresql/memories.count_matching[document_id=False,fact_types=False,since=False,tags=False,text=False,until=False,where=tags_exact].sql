-- memories.count_matching[document_id=False,fact_types=False,since=False,tags=False,text=False,until=False,where=tags:exact] [postgresql]
-- params: bank_id, f_tags
SELECT count(*) AS count_1 
FROM memory_units 
WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.invalidated_at IS NULL AND ((COALESCE(cardinality(memory_units.tags), 0) = 0) OR (memory_units.tags @> $2::TEXT[]) AND (memory_units.tags <@ $2::TEXT[]))
