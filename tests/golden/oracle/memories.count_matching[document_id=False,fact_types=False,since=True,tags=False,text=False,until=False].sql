-- memories.count_matching[document_id=False,fact_types=False,since=True,tags=False,text=False,until=False] [oracle]
-- params: bank_id, since
SELECT count(*) AS count_1 
FROM memory_units 
WHERE memory_units.bank_id = :bank_id AND memory_units.invalidated_at IS NULL AND memory_units.event_date >= :since
