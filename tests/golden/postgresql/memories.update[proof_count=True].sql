-- memories.update[proof_count=True] [postgresql]
-- params: proof_count, updated_at, bank_id, unit_id
UPDATE memory_units SET proof_count=$1::INTEGER, updated_at=$2::TIMESTAMP WITH TIME ZONE WHERE memory_units.bank_id = $3::VARCHAR AND memory_units.id = $4::UUID
