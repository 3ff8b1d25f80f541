-- memories.update[context=True] [postgresql]
-- params: context, updated_at, bank_id, unit_id
UPDATE memory_units SET context=$1::VARCHAR, updated_at=$2::TIMESTAMP WITH TIME ZONE WHERE memory_units.bank_id = $3::VARCHAR AND memory_units.id = $4::UUID
