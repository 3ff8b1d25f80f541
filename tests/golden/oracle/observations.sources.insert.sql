-- observations.sources.insert [oracle]
-- params: observation_id, source_id, bank_id
MERGE INTO observation_sources USING (SELECT :observation_id AS observation_id, :source_id AS source_id, :bank_id AS bank_id FROM dual) s ON (observation_sources.bank_id = s.bank_id AND observation_sources.observation_id = s.observation_id AND observation_sources.source_id = s.source_id) WHEN NOT MATCHED THEN INSERT (observation_id, source_id, bank_id) VALUES (s.observation_id, s.source_id, s.bank_id)
