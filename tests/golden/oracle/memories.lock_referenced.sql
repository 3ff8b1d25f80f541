-- memories.lock_referenced [oracle]
-- params: bank_id, ids
SELECT memory_units.id 
FROM memory_units 
WHERE memory_units.bank_id = :bank_id AND memory_units.id IN (SELECT HEXTORAW(jt.v) FROM JSON_TABLE(:ids, '$[*]' COLUMNS (v VARCHAR2(32) PATH '$')) jt) ORDER BY memory_units.id FOR UPDATE
