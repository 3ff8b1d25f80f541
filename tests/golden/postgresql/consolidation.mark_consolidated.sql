-- consolidation.mark_consolidated [postgresql]
-- params: now, bank_id, ids
UPDATE memory_units SET updated_at=$1::TIMESTAMP WITH TIME ZONE, consolidated_at=$1::TIMESTAMP WITH TIME ZONE, consolidation_failed_at=NULL WHERE memory_units.bank_id = $2::VARCHAR AND memory_units.id = ANY($3::UUID[])
