-- memories.list[after=True,document_id=False,fact_types=True,since=True,tags=True,until=True] [postgresql]
-- params: bank_id, fact_types, tags, since, until, after_created_at, after_id, limit
SELECT memory_units.id, memory_units.bank_id, memory_units.document_id, memory_units.chunk_id, memory_units.text, memory_units.context, memory_units.fact_type, memory_units.event_date, memory_units.occurred_start, memory_units.occurred_end, memory_units.mentioned_at, memory_units.tags, memory_units.metadata, memory_units.proof_count, memory_units.source_memory_ids, memory_units.created_at, memory_units.updated_at, memory_units.consolidated_at, memory_units.consolidation_failed_at, memory_units.invalidated_at 
FROM memory_units 
WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.fact_type = ANY($2::VARCHAR[]) AND memory_units.tags && $3::TEXT[] AND memory_units.event_date >= $4::TIMESTAMP WITH TIME ZONE AND memory_units.event_date < $5::TIMESTAMP WITH TIME ZONE AND (memory_units.created_at < $6::TIMESTAMP WITH TIME ZONE OR memory_units.created_at = $6::TIMESTAMP WITH TIME ZONE AND memory_units.id < $7::UUID) ORDER BY memory_units.created_at DESC, memory_units.id DESC 
 LIMIT $8
