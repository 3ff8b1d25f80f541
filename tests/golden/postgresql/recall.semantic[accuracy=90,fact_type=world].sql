-- recall.semantic[accuracy=90,fact_type=world] [postgresql]
-- params: embedding, bank_id, k
SELECT memory_units.id, memory_units.bank_id, memory_units.document_id, memory_units.chunk_id, memory_units.text, memory_units.context, memory_units.fact_type, memory_units.event_date, memory_units.occurred_start, memory_units.occurred_end, memory_units.mentioned_at, memory_units.tags, memory_units.metadata, memory_units.proof_count, memory_units.source_memory_ids, memory_units.created_at, memory_units.updated_at, memory_units.consolidated_at, memory_units.consolidation_failed_at, memory_units.invalidated_at, 'semantic:world' AS arm, 1.0 - (memory_units.embedding OPERATOR(public.<=>) $1) AS score 
FROM memory_units 
WHERE memory_units.bank_id = $2::VARCHAR AND memory_units.fact_type = 'world' AND memory_units.invalidated_at IS NULL ORDER BY (memory_units.embedding OPERATOR(public.<=>) $1) 
 LIMIT $3 
