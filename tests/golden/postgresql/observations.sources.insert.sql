-- observations.sources.insert [postgresql]
-- params: observation_id, source_id, bank_id
INSERT INTO observation_sources (observation_id, source_id, bank_id) VALUES ($1::UUID, $2::UUID, $3::VARCHAR) ON CONFLICT (bank_id, observation_id, source_id) DO NOTHING
