-- observations.ids_by_sources.table [oracle]
-- params: bank_id, source_ids
SELECT DISTINCT observation_sources.observation_id AS id 
FROM observation_sources 
WHERE observation_sources.bank_id = :bank_id AND observation_sources.source_id IN (SELECT HEXTORAW(jt.v) FROM JSON_TABLE(:source_ids, '$[*]' COLUMNS (v VARCHAR2(32) PATH '$')) jt)
