-- entities.ids_by_name [oracle]
-- params: bank_id, names
SELECT entities.id, entities.canonical_name 
FROM entities 
WHERE entities.bank_id = :bank_id AND entities.canonical_name IN (SELECT jt.v FROM JSON_TABLE(:names, '$[*]' COLUMNS (v VARCHAR2(4000) PATH '$')) jt)
