-- recall.temporal_where[where=tags:all+untagged:exclude] [postgresql]
-- params: bank_id, range_start, range_end, f_tags, k
SELECT memory_units.id, memory_units.bank_id, memory_units.document_id, memory_units.chunk_id, memory_units.text, memory_units.context, memory_units.fact_type, memory_units.event_date, memory_units.occurred_start, memory_units.occurred_end, memory_units.mentioned_at, memory_units.tags, memory_units.metadata, memory_units.proof_count, memory_units.source_memory_ids, memory_units.created_at, memory_units.updated_at, memory_units.consolidated_at, memory_units.consolidation_failed_at, memory_units.invalidated_at, 'temporal' AS arm 
FROM memory_units 
WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.invalidated_at IS NULL AND memory_units.event_date >= $2::TIMESTAMP WITH TIME ZONE AND memory_units.event_date < $3::TIMESTAMP WITH TIME ZONE AND NOT (COALESCE(cardinality(memory_units.tags), 0) = 0) AND (memory_units.tags @> $4::TEXT[]) ORDER BY memory_units.event_date DESC, memory_units.id 
 LIMIT $5
