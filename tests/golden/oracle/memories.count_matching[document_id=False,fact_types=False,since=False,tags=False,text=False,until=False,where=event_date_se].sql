-- memories.count_matching[document_id=False,fact_types=False,since=False,tags=False,text=False,until=False,where=event_date:se] [oracle]
-- params: bank_id, f_event_date_start, f_event_date_end
SELECT count(*) AS count_1 
FROM memory_units 
WHERE memory_units.bank_id = :bank_id AND memory_units.invalidated_at IS NULL AND memory_units.event_date >= :f_event_date_start AND memory_units.event_date < :f_event_date_end
