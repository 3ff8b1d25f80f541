-- observations.sources_of [oracle]
-- params: bank_id, ids
SELECT observation_sources.observation_id, observation_sources.source_id 
FROM observation_sources 
WHERE observation_sources.bank_id = :bank_id AND observation_sources.observation_id IN (SELECT HEXTORAW(jt.v) FROM JSON_TABLE(:ids, '$[*]' COLUMNS (v VARCHAR2(32) PATH '$')) jt)
