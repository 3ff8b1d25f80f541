-- observations.history.insert [oracle]
-- params: id, bank_id, observation_id, previous_text, sources_added, reason, created_at
INSERT INTO observation_history (id, bank_id, observation_id, previous_text, sources_added, reason, created_at) VALUES (:id, :bank_id, :observation_id, :previous_text, :sources_added, :reason, :created_at)
