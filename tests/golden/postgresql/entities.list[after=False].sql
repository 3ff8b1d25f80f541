-- entities.list[after=False] [postgresql]
-- params: bank_id, limit
SELECT entities.id, entities.bank_id, entities.name, entities.canonical_name, entities.entity_type, entities.metadata, entities.mention_count, entities.created_at, entities.updated_at 
FROM entities 
WHERE entities.bank_id = $1::VARCHAR ORDER BY entities.canonical_name 
 LIMIT $2
