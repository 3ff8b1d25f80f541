-- memories.count_matching[document_id=False,fact_types=True,since=False,tags=False,text=False,until=False] [oracle]
-- params: bank_id, fact_types
SELECT count(*) AS count_1 
FROM memory_units 
WHERE memory_units.bank_id = :bank_id AND memory_units.invalidated_at IS NULL AND memory_units.fact_type IN (SELECT jt.v FROM JSON_TABLE(:fact_types, '$[*]' COLUMNS (v VARCHAR2(4000) PATH '$')) jt)
