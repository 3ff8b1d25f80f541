-- memories.restore [postgresql]
-- params: now, bank_id, ids
UPDATE memory_units SET updated_at=$1::TIMESTAMP WITH TIME ZONE, invalidated_at=NULL WHERE memory_units.bank_id = $2::VARCHAR AND memory_units.id = ANY($3::UUID[]) AND memory_units.invalidated_at IS NOT NULL
