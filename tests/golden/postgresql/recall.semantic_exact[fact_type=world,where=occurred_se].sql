-- recall.semantic_exact[fact_type=world,where=occurred:se] [postgresql]
-- params: embedding, bank_id, f_occurred_start, f_occurred_end, k
SELECT memory_units.id, memory_units.bank_id, memory_units.document_id, memory_units.chunk_id, memory_units.text, memory_units.context, memory_units.fact_type, memory_units.event_date, memory_units.occurred_start, memory_units.occurred_end, memory_units.mentioned_at, memory_units.tags, memory_units.metadata, memory_units.proof_count, memory_units.source_memory_ids, memory_units.created_at, memory_units.updated_at, memory_units.consolidated_at, memory_units.consolidation_failed_at, memory_units.invalidated_at, 'semantic:world' AS arm, 1.0 - nearest.distance AS score 
FROM memory_units JOIN (SELECT memory_units.id AS id, public.cosine_distance(memory_units.embedding, $1) AS distance 
FROM memory_units 
WHERE memory_units.bank_id = $2::VARCHAR AND memory_units.fact_type = 'world' AND memory_units.invalidated_at IS NULL AND (memory_units.occurred_start IS NOT NULL AND tstzrange(memory_units.occurred_start, greatest(memory_units.occurred_start, coalesce(memory_units.occurred_end, memory_units.occurred_start)), '[]') && tstzrange($3::TIMESTAMP WITH TIME ZONE, $4::TIMESTAMP WITH TIME ZONE, '[)')) ORDER BY public.cosine_distance(memory_units.embedding, $1) 
 LIMIT $5) AS nearest ON nearest.id = memory_units.id 
WHERE memory_units.bank_id = $2::VARCHAR ORDER BY nearest.distance
