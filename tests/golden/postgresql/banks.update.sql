-- banks.update [postgresql]
-- params: name, metadata, updated_at, bank_id
UPDATE banks SET name=$1::VARCHAR, metadata=$2::JSONB, updated_at=$3::TIMESTAMP WITH TIME ZONE WHERE banks.bank_id = $4::VARCHAR
