-- memories.count_matching[document_id=True,fact_types=True,since=True,tags=True,text=True,until=True] [postgresql]
-- params: bank_id, fact_types, tags, since, until, document_id, text_pattern
SELECT count(*) AS count_1 
FROM memory_units 
WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.invalidated_at IS NULL AND memory_units.fact_type = ANY($2::VARCHAR[]) AND memory_units.tags && $3::TEXT[] AND memory_units.event_date >= $4::TIMESTAMP WITH TIME ZONE AND memory_units.event_date < $5::TIMESTAMP WITH TIME ZONE AND memory_units.document_id = $6::VARCHAR AND lower(memory_units.text) LIKE $7::VARCHAR ESCAPE '!'
