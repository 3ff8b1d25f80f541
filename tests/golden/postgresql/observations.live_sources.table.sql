-- observations.live_sources.table [postgresql]
-- params: bank_id, id
SELECT src.id 
FROM memory_units AS src JOIN observation_sources ON observation_sources.source_id = src.id AND observation_sources.bank_id = src.bank_id 
WHERE observation_sources.bank_id = $1::VARCHAR AND observation_sources.observation_id = $2::UUID ORDER BY src.id
