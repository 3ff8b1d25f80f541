-- memories.tags [oracle]
-- params: bank_id
SELECT t.tag, count(*) AS units 
FROM memory_units, JSON_TABLE(memory_units.tags, '$[*]' COLUMNS (tag VARCHAR2(255 CHAR) PATH '$')) t 
WHERE memory_units.bank_id = :bank_id AND memory_units.invalidated_at IS NULL GROUP BY t.tag ORDER BY count(*) DESC, t.tag
