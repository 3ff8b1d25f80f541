-- recall.fulltext_where[where=tags:exact] [postgresql]
-- params: query, bank_id, f_tags, k
SELECT memory_units.id, memory_units.bank_id, memory_units.document_id, memory_units.chunk_id, memory_units.text, memory_units.context, memory_units.fact_type, memory_units.event_date, memory_units.occurred_start, memory_units.occurred_end, memory_units.mentioned_at, memory_units.tags, memory_units.metadata, memory_units.proof_count, memory_units.source_memory_ids, memory_units.created_at, memory_units.updated_at, memory_units.consolidated_at, memory_units.consolidation_failed_at, memory_units.invalidated_at, 'text' AS arm, ts_rank_cd(memory_units.search_vector, text_search_query($1::VARCHAR)) AS score 
FROM memory_units 
WHERE memory_units.bank_id = $2::VARCHAR AND memory_units.search_vector @@ text_search_query($1::VARCHAR) AND memory_units.invalidated_at IS NULL AND ((COALESCE(cardinality(memory_units.tags), 0) = 0) OR (memory_units.tags @> $3::TEXT[]) AND (memory_units.tags <@ $3::TEXT[])) ORDER BY ts_rank_cd(memory_units.search_vector, text_search_query($1::VARCHAR)) DESC, memory_units.id 
 LIMIT $4
