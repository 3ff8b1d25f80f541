-- memories.restore [oracle]
-- params: now, bank_id, ids
UPDATE memory_units SET updated_at=:now, invalidated_at=NULL WHERE memory_units.bank_id = :bank_id AND memory_units.id IN (SELECT HEXTORAW(jt.v) FROM JSON_TABLE(:ids, '$[*]' COLUMNS (v VARCHAR2(32) PATH '$')) jt) AND memory_units.invalidated_at IS NOT NULL
