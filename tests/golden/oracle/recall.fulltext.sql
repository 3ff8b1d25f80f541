-- recall.fulltext [oracle]
-- params: bank_id, query, k
SELECT memory_units.id, memory_units.bank_id, memory_units.document_id, memory_units.chunk_id, memory_units.text, memory_units.context, memory_units.fact_type, memory_units.event_date, memory_units.occurred_start, memory_units.occurred_end, memory_units.mentioned_at, memory_units.tags, memory_units.metadata, memory_units.proof_count, memory_units.source_memory_ids, memory_units.created_at, memory_units.updated_at, memory_units.consolidated_at, memory_units.consolidation_failed_at, memory_units.invalidated_at, 'text' AS arm, CAST(GREATEST(NVL(SCORE(1), 0), NVL(SCORE(2), 0)) AS BINARY_DOUBLE) AS score 
FROM memory_units 
WHERE memory_units.bank_id = :bank_id AND (CONTAINS(memory_units.text, :query, 1) > 0 OR CONTAINS(memory_units.context, :query, 2) > 0) AND memory_units.invalidated_at IS NULL ORDER BY CAST(GREATEST(NVL(SCORE(1), 0), NVL(SCORE(2), 0)) AS BINARY_DOUBLE) DESC, memory_units.id
 FETCH FIRST :k ROWS ONLY
