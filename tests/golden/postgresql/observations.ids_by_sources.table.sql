-- observations.ids_by_sources.table [postgresql]
-- params: bank_id, source_ids
SELECT DISTINCT observation_sources.observation_id AS id 
FROM observation_sources 
WHERE observation_sources.bank_id = $1::VARCHAR AND observation_sources.source_id = ANY($2::UUID[])
