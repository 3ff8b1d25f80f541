-- entities.by_name [oracle]
-- params: bank_id, name
SELECT entities.id, entities.bank_id, entities.name, entities.canonical_name, entities.entity_type, entities.metadata, entities.mention_count, entities.created_at, entities.updated_at 
FROM entities 
WHERE entities.bank_id = :bank_id AND entities.canonical_name = :name
