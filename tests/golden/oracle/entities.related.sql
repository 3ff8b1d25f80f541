-- entities.related [oracle]
-- params: bank_id, entity_id, k
SELECT entities.id, entities.bank_id, entities.name, entities.canonical_name, entities.entity_type, entities.metadata, entities.mention_count, entities.created_at, entities.updated_at, entity_cooccurrences.units AS shared_units 
FROM entity_cooccurrences JOIN entities ON entities.bank_id = entity_cooccurrences.bank_id AND entities.id = entity_cooccurrences.other_id 
WHERE entity_cooccurrences.bank_id = :bank_id AND entity_cooccurrences.entity_id = :entity_id AND entity_cooccurrences.units > 0 ORDER BY entity_cooccurrences.units DESC, entity_cooccurrences.other_id
 FETCH FIRST :k ROWS ONLY
