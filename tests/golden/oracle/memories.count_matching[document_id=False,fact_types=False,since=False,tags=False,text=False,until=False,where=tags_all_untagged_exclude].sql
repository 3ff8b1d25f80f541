-- memories.count_matching[document_id=False,fact_types=False,since=False,tags=False,text=False,until=False,where=tags:all+untagged:exclude] [oracle]
-- params: bank_id, f_tags
SELECT count(*) AS count_1 
FROM memory_units 
WHERE memory_units.bank_id = :bank_id AND memory_units.invalidated_at IS NULL AND NOT (NOT JSON_EXISTS(memory_units.tags, '$[0]')) AND NOT EXISTS (SELECT 1 FROM JSON_TABLE(:f_tags, '$[*]' COLUMNS (v VARCHAR2(4000) PATH '$')) b WHERE NOT EXISTS (SELECT 1 FROM JSON_TABLE(memory_units.tags, '$[*]' COLUMNS (v VARCHAR2(4000) PATH '$')) a WHERE a.v = b.v))
