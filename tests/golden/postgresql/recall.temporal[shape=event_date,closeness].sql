-- recall.temporal[shape=event_date,closeness] [postgresql]
-- params: t_mid, t_half, bank_id, t_start, t_end, t_k
WITH t_entry AS 
(SELECT memory_units.id AS id, 1.0 - abs(CAST(EXTRACT(EPOCH FROM memory_units.event_date) AS FLOAT) - $1::FLOAT) / CAST($2::FLOAT AS FLOAT) AS score 
FROM memory_units 
WHERE memory_units.bank_id = $3::VARCHAR AND memory_units.invalidated_at IS NULL AND memory_units.event_date >= $4::TIMESTAMP WITH TIME ZONE AND memory_units.event_date < $5::TIMESTAMP WITH TIME ZONE AND memory_units.fact_type IN ('world', 'experience', 'observation') ORDER BY score DESC, memory_units.id 
 LIMIT $6)
 SELECT memory_units.id, memory_units.bank_id, memory_units.document_id, memory_units.chunk_id, memory_units.text, memory_units.context, memory_units.fact_type, memory_units.event_date, memory_units.occurred_start, memory_units.occurred_end, memory_units.mentioned_at, memory_units.tags, memory_units.metadata, memory_units.proof_count, memory_units.source_memory_ids, memory_units.created_at, memory_units.updated_at, memory_units.consolidated_at, memory_units.consolidation_failed_at, memory_units.invalidated_at, 'temporal' AS arm, t_entry.score AS score 
FROM memory_units JOIN t_entry ON t_entry.id = memory_units.id 
WHERE memory_units.bank_id = $3::VARCHAR ORDER BY score DESC, memory_units.id
