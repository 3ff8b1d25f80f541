-- entities.by_ids [oracle]
-- params: bank_id, ids
SELECT entities.id, entities.bank_id, entities.name, entities.canonical_name, entities.entity_type, entities.metadata, entities.mention_count, entities.created_at, entities.updated_at 
FROM entities 
WHERE entities.bank_id = :bank_id AND entities.id IN (SELECT HEXTORAW(jt.v) FROM JSON_TABLE(:ids, '$[*]' COLUMNS (v VARCHAR2(32) PATH '$')) jt)
