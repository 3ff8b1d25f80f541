-- entities.by_name [postgresql]
-- params: bank_id, name
SELECT entities.id, entities.bank_id, entities.name, entities.canonical_name, entities.entity_type, entities.metadata, entities.mention_count, entities.created_at, entities.updated_at 
FROM entities 
WHERE entities.bank_id = $1::VARCHAR AND entities.canonical_name = $2::VARCHAR
