-- entities.cooccurrences.decrement [postgresql]
-- params: units, bank_id, entity_id, other_id
UPDATE entity_cooccurrences SET units=(entity_cooccurrences.units - $1::INTEGER) WHERE entity_cooccurrences.bank_id = $2::VARCHAR AND entity_cooccurrences.entity_id = $3::UUID AND entity_cooccurrences.other_id = $4::UUID
