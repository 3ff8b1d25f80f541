-- observations.sources_of [postgresql]
-- params: bank_id, ids
SELECT observation_sources.observation_id, observation_sources.source_id 
FROM observation_sources 
WHERE observation_sources.bank_id = $1::VARCHAR AND observation_sources.observation_id = ANY($2::UUID[])
