-- documents.insert_if_absent [postgresql]
-- params: bank_id, document_id, content_hash, content, metadata, version, created_at, updated_at
INSERT INTO documents (bank_id, document_id, content_hash, content, metadata, version, created_at, updated_at) VALUES ($1::VARCHAR, $2::VARCHAR, $3::VARCHAR, $4::VARCHAR, $5::JSONB, $6::INTEGER, $7::TIMESTAMP WITH TIME ZONE, $8::TIMESTAMP WITH TIME ZONE) ON CONFLICT (bank_id, document_id) DO NOTHING
