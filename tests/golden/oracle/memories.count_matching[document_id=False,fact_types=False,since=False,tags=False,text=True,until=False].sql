-- memories.count_matching[document_id=False,fact_types=False,since=False,tags=False,text=True,until=False] [oracle]
-- params: bank_id, text_pattern
SELECT count(*) AS count_1 
FROM memory_units 
WHERE memory_units.bank_id = :bank_id AND memory_units.invalidated_at IS NULL AND lower(memory_units.text) LIKE :text_pattern ESCAPE '!'
