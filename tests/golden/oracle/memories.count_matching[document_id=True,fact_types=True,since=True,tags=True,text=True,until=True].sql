-- memories.count_matching[document_id=True,fact_types=True,since=True,tags=True,text=True,until=True] [oracle]
-- params: bank_id, fact_types, tags, since, until, document_id, text_pattern
SELECT count(*) AS count_1 
FROM memory_units 
WHERE memory_units.bank_id = :bank_id AND memory_units.invalidated_at IS NULL AND memory_units.fact_type IN (SELECT jt.v FROM JSON_TABLE(:fact_types, '$[*]' COLUMNS (v VARCHAR2(4000) PATH '$')) jt) AND EXISTS (SELECT 1 FROM JSON_TABLE(memory_units.tags, '$[*]' COLUMNS (v VARCHAR2(4000) PATH '$')) a JOIN JSON_TABLE(:tags, '$[*]' COLUMNS (v VARCHAR2(4000) PATH '$')) b ON a.v = b.v) AND memory_units.event_date >= :since AND memory_units.event_date < :until AND memory_units.document_id = :document_id AND lower(memory_units.text) LIKE :text_pattern ESCAPE '!'
