-- entities.mentions_of_units [oracle]
-- params: bank_id, ids
SELECT unit_entities.entity_id, count(*) AS n 
FROM unit_entities JOIN entities ON entities.bank_id = unit_entities.bank_id AND entities.id = unit_entities.entity_id 
WHERE unit_entities.bank_id = :bank_id AND unit_entities.unit_id IN (SELECT HEXTORAW(jt.v) FROM JSON_TABLE(:ids, '$[*]' COLUMNS (v VARCHAR2(32) PATH '$')) jt) GROUP BY unit_entities.entity_id, entities.canonical_name ORDER BY entities.canonical_name
