-- links.insert_if_absent [postgresql]
-- params: from_unit_id, to_unit_id, link_type, bank_id, weight, created_at
INSERT INTO memory_links (from_unit_id, to_unit_id, link_type, bank_id, weight, created_at) VALUES ($1::UUID, $2::UUID, $3::VARCHAR, $4::VARCHAR, $5::FLOAT, $6::TIMESTAMP WITH TIME ZONE) ON CONFLICT (bank_id, from_unit_id, to_unit_id, link_type) DO NOTHING
