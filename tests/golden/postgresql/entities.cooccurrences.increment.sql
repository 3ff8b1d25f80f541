-- entities.cooccurrences.increment [postgresql]
-- params: bank_id, entity_id, other_id, units
INSERT INTO entity_cooccurrences (bank_id, entity_id, other_id, units) VALUES ($1::VARCHAR, $2::UUID, $3::UUID, $4::INTEGER) ON CONFLICT (bank_id, entity_id, other_id) DO UPDATE SET units = (entity_cooccurrences.units + excluded.units)
