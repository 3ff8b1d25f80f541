-- recall.arms[fact_types=world,fallback=True,text=False] [postgresql]
-- params: embedding, bank_id, k_semantic
WITH s_world AS 
(SELECT memory_units.id AS id, memory_units.bank_id AS bank_id, memory_units.document_id AS document_id, memory_units.chunk_id AS chunk_id, memory_units.text AS text, memory_units.context AS context, memory_units.fact_type AS fact_type, memory_units.event_date AS event_date, memory_units.occurred_start AS occurred_start, memory_units.occurred_end AS occurred_end, memory_units.mentioned_at AS mentioned_at, memory_units.tags AS tags, memory_units.metadata AS metadata, memory_units.proof_count AS proof_count, memory_units.source_memory_ids AS source_memory_ids, memory_units.created_at AS created_at, memory_units.updated_at AS updated_at, memory_units.consolidated_at AS consolidated_at, memory_units.consolidation_failed_at AS consolidation_failed_at, memory_units.invalidated_at AS invalidated_at, 'semantic:world' AS arm, 1.0 - (memory_units.embedding OPERATOR(public.<=>) $1) AS score 
FROM memory_units 
WHERE memory_units.bank_id = $2::VARCHAR AND memory_units.fact_type = 'world' AND memory_units.invalidated_at IS NULL ORDER BY (memory_units.embedding OPERATOR(public.<=>) $1) 
 LIMIT $3)
 SELECT s_world.id, s_world.bank_id, s_world.document_id, s_world.chunk_id, s_world.text, s_world.context, s_world.fact_type, s_world.event_date, s_world.occurred_start, s_world.occurred_end, s_world.mentioned_at, s_world.tags, s_world.metadata, s_world.proof_count, s_world.source_memory_ids, s_world.created_at, s_world.updated_at, s_world.consolidated_at, s_world.consolidation_failed_at, s_world.invalidated_at, s_world.arm, s_world.score 
FROM s_world 
WHERE (SELECT count(*) AS count_1 
FROM s_world) >= $3::INTEGER UNION ALL SELECT e_world.id, e_world.bank_id, e_world.document_id, e_world.chunk_id, e_world.text, e_world.context, e_world.fact_type, e_world.event_date, e_world.occurred_start, e_world.occurred_end, e_world.mentioned_at, e_world.tags, e_world.metadata, e_world.proof_count, e_world.source_memory_ids, e_world.created_at, e_world.updated_at, e_world.consolidated_at, e_world.consolidation_failed_at, e_world.invalidated_at, e_world.arm, e_world.score 
FROM (SELECT memory_units.id AS id, memory_units.bank_id AS bank_id, memory_units.document_id AS document_id, memory_units.chunk_id AS chunk_id, memory_units.text AS text, memory_units.context AS context, memory_units.fact_type AS fact_type, memory_units.event_date AS event_date, memory_units.occurred_start AS occurred_start, memory_units.occurred_end AS occurred_end, memory_units.mentioned_at AS mentioned_at, memory_units.tags AS tags, memory_units.metadata AS metadata, memory_units.proof_count AS proof_count, memory_units.source_memory_ids AS source_memory_ids, memory_units.created_at AS created_at, memory_units.updated_at AS updated_at, memory_units.consolidated_at AS consolidated_at, memory_units.consolidation_failed_at AS consolidation_failed_at, memory_units.invalidated_at AS invalidated_at, 'semantic:world' AS arm, 1.0 - nearest.distance AS score 
FROM memory_units JOIN (SELECT memory_units.id AS id, public.cosine_distance(memory_units.embedding, $1) AS distance 
FROM memory_units 
WHERE memory_units.bank_id = $2::VARCHAR AND memory_units.fact_type = 'world' AND memory_units.invalidated_at IS NULL ORDER BY public.cosine_distance(memory_units.embedding, $1) 
 LIMIT $3) AS nearest ON nearest.id = memory_units.id 
WHERE memory_units.bank_id = $2::VARCHAR ORDER BY nearest.distance) AS e_world 
WHERE (SELECT count(*) AS count_2 
FROM s_world) < $3::INTEGER
