-- entities.cooccurrences.increment_batch [postgresql]
-- params: entity_id, other_id, units, bank_id
INSERT INTO entity_cooccurrences (bank_id, entity_id, other_id, units) SELECT $4::VARCHAR, s.entity_id, s.other_id, s.units FROM unnest($1::UUID[], $2::UUID[], $3::INTEGER[]) WITH ORDINALITY AS s(entity_id, other_id, units, ordinality) ORDER BY s.ordinality ON CONFLICT (bank_id, entity_id, other_id) DO UPDATE SET units = entity_cooccurrences.units + excluded.units
