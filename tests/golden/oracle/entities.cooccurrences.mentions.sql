-- entities.cooccurrences.mentions [oracle]
-- params: bank_id, ids
SELECT unit_entities.unit_id, unit_entities.entity_id 
FROM unit_entities 
WHERE unit_entities.bank_id = :bank_id AND unit_entities.unit_id IN (SELECT HEXTORAW(jt.v) FROM JSON_TABLE(:ids, '$[*]' COLUMNS (v VARCHAR2(32) PATH '$')) jt)
