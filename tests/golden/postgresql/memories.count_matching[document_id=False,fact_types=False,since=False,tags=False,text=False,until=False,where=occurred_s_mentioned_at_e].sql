-- memories.count_matching[document_id=False,fact_types=False,since=False,tags=False,text=False,until=False,where=occurred:s+mentioned_at:e] [postgresql]
-- params: bank_id, f_occurred_start, f_mentioned_at_end
SELECT count(*) AS count_1 
FROM memory_units 
WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.invalidated_at IS NULL AND (memory_units.occurred_start IS NOT NULL AND tstzrange(memory_units.occurred_start, greatest(memory_units.occurred_start, coalesce(memory_units.occurred_end, memory_units.occurred_start)), '[]') && tstzrange($2::TIMESTAMP WITH TIME ZONE, NULL, '[)')) AND memory_units.mentioned_at < $3::TIMESTAMP WITH TIME ZONE
