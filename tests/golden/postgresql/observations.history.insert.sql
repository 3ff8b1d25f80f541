-- observations.history.insert [postgresql]
-- params: id, bank_id, observation_id, previous_text, sources_added, reason, created_at
INSERT INTO observation_history (id, bank_id, observation_id, previous_text, sources_added, reason, created_at) VALUES ($1::UUID, $2::VARCHAR, $3::UUID, $4::VARCHAR, $5::JSONB, $6::VARCHAR, $7::TIMESTAMP WITH TIME ZONE)
