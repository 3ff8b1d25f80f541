-- recall.expand [postgresql]
-- params: bank_id, seeds, k
SELECT memory_units.id, memory_units.bank_id, memory_units.document_id, memory_units.chunk_id, memory_units.text, memory_units.context, memory_units.fact_type, memory_units.event_date, memory_units.occurred_start, memory_units.occurred_end, memory_units.mentioned_at, memory_units.tags, memory_units.metadata, memory_units.proof_count, memory_units.source_memory_ids, memory_units.created_at, memory_units.updated_at, memory_units.consolidated_at, memory_units.consolidation_failed_at, memory_units.invalidated_at, 'graph:link' AS arm, linked.score AS score 
FROM memory_units JOIN (SELECT memory_links.to_unit_id AS unit_id, max(memory_links.weight) AS score 
FROM memory_links 
WHERE memory_links.bank_id = $1::VARCHAR AND memory_links.from_unit_id = ANY($2::UUID[]) GROUP BY memory_links.to_unit_id ORDER BY max(memory_links.weight) DESC, memory_links.to_unit_id 
 LIMIT $3) AS linked ON linked.unit_id = memory_units.id 
WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.invalidated_at IS NULL UNION ALL SELECT memory_units.id, memory_units.bank_id, memory_units.document_id, memory_units.chunk_id, memory_units.text, memory_units.context, memory_units.fact_type, memory_units.event_date, memory_units.occurred_start, memory_units.occurred_end, memory_units.mentioned_at, memory_units.tags, memory_units.metadata, memory_units.proof_count, memory_units.source_memory_ids, memory_units.created_at, memory_units.updated_at, memory_units.consolidated_at, memory_units.consolidation_failed_at, memory_units.invalidated_at, 'graph:entity' AS arm, CAST(shared.score AS FLOAT) AS score 
FROM memory_units JOIN (SELECT other_mentions.unit_id AS unit_id, count(*) AS score 
FROM unit_entities AS seed_mentions JOIN unit_entities AS other_mentions ON other_mentions.bank_id = seed_mentions.bank_id AND other_mentions.entity_id = seed_mentions.entity_id 
WHERE seed_mentions.bank_id = $1::VARCHAR AND seed_mentions.unit_id = ANY($2::UUID[]) AND NOT other_mentions.unit_id = ANY($2::UUID[]) GROUP BY other_mentions.unit_id ORDER BY count(*) DESC, other_mentions.unit_id 
 LIMIT $3) AS shared ON shared.unit_id = memory_units.id 
WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.invalidated_at IS NULL
