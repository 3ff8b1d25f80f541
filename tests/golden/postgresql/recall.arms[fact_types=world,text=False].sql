-- recall.arms[fact_types=world,text=False] [postgresql]
-- params: embedding, bank_id, k_semantic
SELECT s_world.id, s_world.bank_id, s_world.document_id, s_world.chunk_id, s_world.text, s_world.context, s_world.fact_type, s_world.event_date, s_world.occurred_start, s_world.occurred_end, s_world.mentioned_at, s_world.tags, s_world.metadata, s_world.proof_count, s_world.source_memory_ids, s_world.created_at, s_world.updated_at, s_world.arm, s_world.score 
FROM (SELECT memory_units.id AS id, memory_units.bank_id AS bank_id, memory_units.document_id AS document_id, memory_units.chunk_id AS chunk_id, memory_units.text AS text, memory_units.context AS context, memory_units.fact_type AS fact_type, memory_units.event_date AS event_date, memory_units.occurred_start AS occurred_start, memory_units.occurred_end AS occurred_end, memory_units.mentioned_at AS mentioned_at, memory_units.tags AS tags, memory_units.metadata AS metadata, memory_units.proof_count AS proof_count, memory_units.source_memory_ids AS source_memory_ids, memory_units.created_at AS created_at, memory_units.updated_at AS updated_at, 'semantic:world' AS arm, 1.0 - (memory_units.embedding <=> $1) AS score 
FROM memory_units 
WHERE memory_units.bank_id = $2::VARCHAR AND memory_units.fact_type = 'world' ORDER BY (memory_units.embedding <=> $1) 
 LIMIT $3) AS s_world
