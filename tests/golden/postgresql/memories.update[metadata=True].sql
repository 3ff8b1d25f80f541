-- memories.update[metadata=True] [postgresql]
-- params: metadata, updated_at, bank_id, unit_id
UPDATE memory_units SET metadata=$1::JSONB, updated_at=$2::TIMESTAMP WITH TIME ZONE WHERE memory_units.bank_id = $3::VARCHAR AND memory_units.id = $4::UUID
