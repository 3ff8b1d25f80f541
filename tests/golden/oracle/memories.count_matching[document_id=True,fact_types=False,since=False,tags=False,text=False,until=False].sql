-- memories.count_matching[document_id=True,fact_types=False,since=False,tags=False,text=False,until=False] [oracle]
-- params: bank_id, document_id
SELECT count(*) AS count_1 
FROM memory_units 
WHERE memory_units.bank_id = :bank_id AND memory_units.invalidated_at IS NULL AND memory_units.document_id = :document_id
