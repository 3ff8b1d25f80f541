-- recall.semantic_exact[fact_type=world] [oracle]
-- params: embedding, bank_id, k
WITH candidates AS 
(SELECT memory_units.id AS id, memory_units.bank_id AS bank_id, memory_units.document_id AS document_id, memory_units.chunk_id AS chunk_id, memory_units.text AS text, memory_units.context AS context, memory_units.fact_type AS fact_type, memory_units.event_date AS event_date, memory_units.occurred_start AS occurred_start, memory_units.occurred_end AS occurred_end, memory_units.mentioned_at AS mentioned_at, memory_units.tags AS tags, memory_units.metadata AS metadata, memory_units.proof_count AS proof_count, memory_units.source_memory_ids AS source_memory_ids, memory_units.created_at AS created_at, memory_units.updated_at AS updated_at, memory_units.consolidated_at AS consolidated_at, memory_units.consolidation_failed_at AS consolidation_failed_at, memory_units.invalidated_at AS invalidated_at, memory_units.embedding AS embedding 
FROM memory_units 
WHERE memory_units.bank_id = :bank_id AND memory_units.fact_type = 'world' AND memory_units.invalidated_at IS NULL)
 SELECT candidates.id, candidates.bank_id, candidates.document_id, candidates.chunk_id, candidates.text, candidates.context, candidates.fact_type, candidates.event_date, candidates.occurred_start, candidates.occurred_end, candidates.mentioned_at, candidates.tags, candidates.metadata, candidates.proof_count, candidates.source_memory_ids, candidates.created_at, candidates.updated_at, candidates.consolidated_at, candidates.consolidation_failed_at, candidates.invalidated_at, 'semantic:world' AS arm, 1.0 - VECTOR_DISTANCE(candidates.embedding, :embedding, COSINE) AS score 
FROM candidates ORDER BY VECTOR_DISTANCE(candidates.embedding, :embedding, COSINE)
 FETCH FIRST :k ROWS ONLY
