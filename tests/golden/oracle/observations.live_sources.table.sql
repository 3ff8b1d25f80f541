-- observations.live_sources.table [oracle]
-- params: bank_id, id
SELECT src.id 
FROM memory_units src JOIN observation_sources ON observation_sources.source_id = src.id AND observation_sources.bank_id = src.bank_id 
WHERE observation_sources.bank_id = :bank_id AND observation_sources.observation_id = :id ORDER BY src.id
