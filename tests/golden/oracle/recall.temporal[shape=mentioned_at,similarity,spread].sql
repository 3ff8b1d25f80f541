-- recall.temporal[shape=mentioned_at,similarity,spread] [oracle]
-- params: embedding, bank_id, t_start, t_end, t_k, t_spread
WITH t_entry AS 
(SELECT memory_units.id AS id, 1.0 - VECTOR_DISTANCE(memory_units.embedding, :embedding, COSINE) AS score 
FROM memory_units 
WHERE memory_units.bank_id = :bank_id AND memory_units.invalidated_at IS NULL AND memory_units.mentioned_at >= :t_start AND memory_units.mentioned_at < :t_end AND memory_units.fact_type IN ('world', 'experience', 'observation') ORDER BY 1.0 - VECTOR_DISTANCE(memory_units.embedding, :embedding, COSINE) DESC, memory_units.id
 FETCH FIRST :t_k ROWS ONLY)
 SELECT memory_units.id, memory_units.bank_id, memory_units.document_id, memory_units.chunk_id, memory_units.text, memory_units.context, memory_units.fact_type, memory_units.event_date, memory_units.occurred_start, memory_units.occurred_end, memory_units.mentioned_at, memory_units.tags, memory_units.metadata, memory_units.proof_count, memory_units.source_memory_ids, memory_units.created_at, memory_units.updated_at, memory_units.consolidated_at, memory_units.consolidation_failed_at, memory_units.invalidated_at, 'temporal' AS arm, t_entry.score AS score 
FROM memory_units JOIN t_entry ON t_entry.id = memory_units.id 
WHERE memory_units.bank_id = :bank_id UNION ALL SELECT memory_units.id, memory_units.bank_id, memory_units.document_id, memory_units.chunk_id, memory_units.text, memory_units.context, memory_units.fact_type, memory_units.event_date, memory_units.occurred_start, memory_units.occurred_end, memory_units.mentioned_at, memory_units.tags, memory_units.metadata, memory_units.proof_count, memory_units.source_memory_ids, memory_units.created_at, memory_units.updated_at, memory_units.consolidated_at, memory_units.consolidation_failed_at, memory_units.invalidated_at, 'temporal:spread' AS arm, t_spread.score AS score 
FROM memory_units JOIN (SELECT t_hops.unit_id AS unit_id, max(t_hops.score) AS score 
FROM (SELECT memory_links.to_unit_id AS unit_id, t_entry.score * memory_links.weight AS score 
FROM t_entry JOIN memory_links ON memory_links.bank_id = :bank_id AND memory_links.from_unit_id = t_entry.id 
WHERE memory_links.link_type = 'temporal' OR memory_links.link_type = 'causal' UNION ALL SELECT memory_links.from_unit_id AS unit_id, t_entry.score * memory_links.weight AS score 
FROM t_entry JOIN memory_links ON memory_links.bank_id = :bank_id AND memory_links.to_unit_id = t_entry.id 
WHERE memory_links.link_type = 'temporal' OR memory_links.link_type = 'causal') t_hops JOIN memory_units t_reached ON t_reached.bank_id = :bank_id AND t_reached.id = t_hops.unit_id 
WHERE t_reached.invalidated_at IS NULL AND (t_hops.unit_id NOT IN (SELECT t_entry.id 
FROM t_entry)) GROUP BY t_hops.unit_id ORDER BY max(t_hops.score) DESC, t_hops.unit_id
 FETCH FIRST :t_spread ROWS ONLY) t_spread ON t_spread.unit_id = memory_units.id 
WHERE memory_units.bank_id = :bank_id ORDER BY arm, score DESC, id
