-- banks.create [postgresql]
-- params: bank_id, name, metadata, created_at, updated_at
INSERT INTO banks (bank_id, name, metadata, created_at, updated_at) VALUES ($1::VARCHAR, $2::VARCHAR, $3::JSONB, $4::TIMESTAMP WITH TIME ZONE, $5::TIMESTAMP WITH TIME ZONE) ON CONFLICT (bank_id) DO NOTHING
