-- entities.list[after=True] [oracle]
-- params: bank_id, after, limit
SELECT entities.id, entities.bank_id, entities.name, entities.canonical_name, entities.entity_type, entities.metadata, entities.mention_count, entities.created_at, entities.updated_at 
FROM entities 
WHERE entities.bank_id = :bank_id AND entities.canonical_name > :after ORDER BY entities.canonical_name
 FETCH FIRST :limit ROWS ONLY
