-- memories.update[tags=True] [postgresql]
-- params: tags, updated_at, bank_id, unit_id
UPDATE memory_units SET tags=$1::TEXT[], updated_at=$2::TIMESTAMP WITH TIME ZONE WHERE memory_units.bank_id = $3::VARCHAR AND memory_units.id = $4::UUID
