-- entities.unmention [postgresql]
-- params: n, updated_at, bank_id, entity_id
UPDATE entities SET mention_count=(entities.mention_count - $1::INTEGER), updated_at=$2::TIMESTAMP WITH TIME ZONE WHERE entities.bank_id = $3::VARCHAR AND entities.id = $4::UUID
