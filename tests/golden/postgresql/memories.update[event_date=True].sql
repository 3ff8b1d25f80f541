-- memories.update[event_date=True] [postgresql]
-- params: event_date, updated_at, bank_id, unit_id
UPDATE memory_units SET event_date=$1::TIMESTAMP WITH TIME ZONE, updated_at=$2::TIMESTAMP WITH TIME ZONE WHERE memory_units.bank_id = $3::VARCHAR AND memory_units.id = $4::UUID
