-- entities.upsert [postgresql]
-- params: id, bank_id, name, canonical_name, entity_type, metadata, mention_count, created_at, updated_at
INSERT INTO entities (id, bank_id, name, canonical_name, entity_type, metadata, mention_count, created_at, updated_at) VALUES ($1::UUID, $2::VARCHAR, $3::VARCHAR, $4::VARCHAR, $5::VARCHAR, $6::JSONB, $7::INTEGER, $8::TIMESTAMP WITH TIME ZONE, $9::TIMESTAMP WITH TIME ZONE) ON CONFLICT (bank_id, canonical_name) DO UPDATE SET mention_count = (entities.mention_count + excluded.mention_count), updated_at = excluded.updated_at
