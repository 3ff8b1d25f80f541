-- entities.cooccurrences.prune [postgresql]
-- params: bank_id, entity_ids
DELETE FROM entity_cooccurrences WHERE entity_cooccurrences.bank_id = $1::VARCHAR AND entity_cooccurrences.entity_id = ANY($2::UUID[]) AND entity_cooccurrences.units <= 0
