-- memories.list[after=False,document_id=False,fact_types=False,since=False,tags=False,text=False,until=False,where=occurred:s+mentioned_at:e] [oracle]
-- params: bank_id, f_occurred_start, f_mentioned_at_end, limit
SELECT memory_units.id, memory_units.bank_id, memory_units.document_id, memory_units.chunk_id, memory_units.text, memory_units.context, memory_units.fact_type, memory_units.event_date, memory_units.occurred_start, memory_units.occurred_end, memory_units.mentioned_at, memory_units.tags, memory_units.metadata, memory_units.proof_count, memory_units.source_memory_ids, memory_units.created_at, memory_units.updated_at, memory_units.consolidated_at, memory_units.consolidation_failed_at, memory_units.invalidated_at 
FROM memory_units 
WHERE memory_units.bank_id = :bank_id AND memory_units.invalidated_at IS NULL AND (memory_units.occurred_start IS NOT NULL AND greatest(memory_units.occurred_start, coalesce(memory_units.occurred_end, memory_units.occurred_start)) >= :f_occurred_start) AND memory_units.mentioned_at < :f_mentioned_at_end ORDER BY memory_units.created_at DESC, memory_units.id DESC
 FETCH FIRST :limit ROWS ONLY
