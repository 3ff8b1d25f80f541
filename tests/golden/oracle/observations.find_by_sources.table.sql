-- observations.find_by_sources.table [oracle]
-- params: bank_id, source_ids
SELECT memory_units.id, memory_units.bank_id, memory_units.document_id, memory_units.chunk_id, memory_units.text, memory_units.context, memory_units.fact_type, memory_units.event_date, memory_units.occurred_start, memory_units.occurred_end, memory_units.mentioned_at, memory_units.tags, memory_units.metadata, memory_units.proof_count, memory_units.source_memory_ids, memory_units.created_at, memory_units.updated_at, memory_units.consolidated_at, memory_units.consolidation_failed_at, memory_units.invalidated_at 
FROM memory_units 
WHERE memory_units.bank_id = :bank_id AND memory_units.id IN (SELECT DISTINCT observation_sources.observation_id AS id 
FROM observation_sources 
WHERE observation_sources.bank_id = :bank_id AND observation_sources.source_id IN (SELECT HEXTORAW(jt.v) FROM JSON_TABLE(:source_ids, '$[*]' COLUMNS (v VARCHAR2(32) PATH '$')) jt)) ORDER BY memory_units.created_at
