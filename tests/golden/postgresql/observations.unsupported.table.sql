-- observations.unsupported.table [postgresql]
-- params: bank_id
SELECT memory_units.id 
FROM memory_units 
WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.fact_type = 'observation' AND NOT (EXISTS (SELECT * 
FROM observation_sources JOIN memory_units AS src ON src.id = observation_sources.source_id AND src.bank_id = observation_sources.bank_id 
WHERE observation_sources.bank_id = $1::VARCHAR AND observation_sources.observation_id = memory_units.id))
