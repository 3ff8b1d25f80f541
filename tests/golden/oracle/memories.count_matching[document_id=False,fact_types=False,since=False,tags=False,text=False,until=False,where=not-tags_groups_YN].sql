-- memories.count_matching[document_id=False,fact_types=False,since=False,tags=False,text=False,until=False,where=not-tags+groups:YN] [oracle]
-- params: bank_id, f_exclude_tags, f_group_0, f_group_1
SELECT count(*) AS count_1 
FROM memory_units 
WHERE memory_units.bank_id = :bank_id AND memory_units.invalidated_at IS NULL AND ((NOT JSON_EXISTS(memory_units.tags, '$[0]')) OR NOT EXISTS (SELECT 1 FROM JSON_TABLE(memory_units.tags, '$[*]' COLUMNS (v VARCHAR2(4000) PATH '$')) a JOIN JSON_TABLE(:f_exclude_tags, '$[*]' COLUMNS (v VARCHAR2(4000) PATH '$')) b ON a.v = b.v) AND EXISTS (SELECT 1 FROM JSON_TABLE(memory_units.tags, '$[*]' COLUMNS (v VARCHAR2(4000) PATH '$')) a JOIN JSON_TABLE(:f_group_0, '$[*]' COLUMNS (v VARCHAR2(4000) PATH '$')) b ON a.v = b.v) AND NOT EXISTS (SELECT 1 FROM JSON_TABLE(memory_units.tags, '$[*]' COLUMNS (v VARCHAR2(4000) PATH '$')) a JOIN JSON_TABLE(:f_group_1, '$[*]' COLUMNS (v VARCHAR2(4000) PATH '$')) b ON a.v = b.v))
