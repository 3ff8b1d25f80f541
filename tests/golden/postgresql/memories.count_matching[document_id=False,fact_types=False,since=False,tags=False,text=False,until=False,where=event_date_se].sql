-- memories.count_matching[document_id=False,fact_types=False,since=False,tags=False,text=False,until=False,where=event_date:se] [postgresql]
-- params: bank_id, f_event_date_start, f_event_date_end
SELECT count(*) AS count_1 
FROM memory_units 
WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.invalidated_at IS NULL AND memory_units.event_date >= $2::TIMESTAMP WITH TIME ZONE AND memory_units.event_date < $3::TIMESTAMP WITH TIME ZONE
