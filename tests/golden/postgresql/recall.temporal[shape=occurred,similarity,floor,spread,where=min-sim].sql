-- recall.temporal[shape=occurred,similarity,floor,spread,where=min-sim] [postgresql]
-- params: embedding, bank_id, t_start, t_end, t_min_similarity, f_min_similarity, t_k, t_spread
WITH t_entry AS 
(SELECT memory_units.id AS id, 1.0 - public.cosine_distance(memory_units.embedding, $1) AS score 
FROM memory_units 
WHERE memory_units.bank_id = $2::VARCHAR AND memory_units.invalidated_at IS NULL AND (memory_units.occurred_start IS NOT NULL AND tstzrange(memory_units.occurred_start, greatest(memory_units.occurred_start, coalesce(memory_units.occurred_end, memory_units.occurred_start)), '[]') && tstzrange($3::TIMESTAMP WITH TIME ZONE, $4::TIMESTAMP WITH TIME ZONE, '[)')) AND memory_units.fact_type IN ('world', 'experience', 'observation') AND 1.0 - public.cosine_distance(memory_units.embedding, $1) >= $5::FLOAT AND 1.0 - public.cosine_distance(memory_units.embedding, $1) >= $6::FLOAT ORDER BY score DESC, memory_units.id 
 LIMIT $7)
 SELECT memory_units.id, memory_units.bank_id, memory_units.document_id, memory_units.chunk_id, memory_units.text, memory_units.context, memory_units.fact_type, memory_units.event_date, memory_units.occurred_start, memory_units.occurred_end, memory_units.mentioned_at, memory_units.tags, memory_units.metadata, memory_units.proof_count, memory_units.source_memory_ids, memory_units.created_at, memory_units.updated_at, memory_units.consolidated_at, memory_units.consolidation_failed_at, memory_units.invalidated_at, 'temporal' AS arm, t_entry.score AS score 
FROM memory_units JOIN t_entry ON t_entry.id = memory_units.id 
WHERE memory_units.bank_id = $2::VARCHAR UNION ALL SELECT memory_units.id, memory_units.bank_id, memory_units.document_id, memory_units.chunk_id, memory_units.text, memory_units.context, memory_units.fact_type, memory_units.event_date, memory_units.occurred_start, memory_units.occurred_end, memory_units.mentioned_at, memory_units.tags, memory_units.metadata, memory_units.proof_count, memory_units.source_memory_ids, memory_units.created_at, memory_units.updated_at, memory_units.consolidated_at, memory_units.consolidation_failed_at, memory_units.invalidated_at, 'temporal:spread' AS arm, t_spread.score AS score 
FROM memory_units JOIN (SELECT t_hops.unit_id AS unit_id, max(t_hops.score) AS score 
FROM (SELECT memory_links.to_unit_id AS unit_id, t_entry.score * memory_links.weight AS score 
FROM t_entry JOIN memory_links ON memory_links.bank_id = $2::VARCHAR AND memory_links.from_unit_id = t_entry.id 
WHERE memory_links.link_type = 'temporal' OR memory_links.link_type = 'causal' UNION ALL SELECT memory_links.from_unit_id AS unit_id, t_entry.score * memory_links.weight AS score 
FROM t_entry JOIN memory_links ON memory_links.bank_id = $2::VARCHAR AND memory_links.to_unit_id = t_entry.id 
WHERE memory_links.link_type = 'temporal' OR memory_links.link_type = 'causal') AS t_hops JOIN memory_units AS t_reached ON t_reached.bank_id = $2::VARCHAR AND t_reached.id = t_hops.unit_id 
WHERE t_reached.invalidated_at IS NULL AND (t_hops.unit_id NOT IN (SELECT t_entry.id 
FROM t_entry)) GROUP BY t_hops.unit_id ORDER BY max(t_hops.score) DESC, t_hops.unit_id 
 LIMIT $8) AS t_spread ON t_spread.unit_id = memory_units.id 
WHERE memory_units.bank_id = $2::VARCHAR ORDER BY arm, score DESC, id
