-- recall.expand[fact_types=world+observation,observations=True,sources_table=False] [postgresql]
-- params: w_temporal, w_semantic, w_entity, w_causal, bank_id, seeds, k, fanout
SELECT memory_units.id, memory_units.bank_id, memory_units.document_id, memory_units.chunk_id, memory_units.text, memory_units.context, memory_units.fact_type, memory_units.event_date, memory_units.occurred_start, memory_units.occurred_end, memory_units.mentioned_at, memory_units.tags, memory_units.metadata, memory_units.proof_count, memory_units.source_memory_ids, memory_units.created_at, memory_units.updated_at, memory_units.consolidated_at, memory_units.consolidation_failed_at, memory_units.invalidated_at, 'graph:link' AS arm, CAST(linked.score AS FLOAT) AS score 
FROM memory_units JOIN (SELECT hops.unit_id AS unit_id, max(hops.score) AS score 
FROM (SELECT memory_links.to_unit_id AS unit_id, memory_links.weight * CASE WHEN (memory_links.link_type = 'temporal') THEN $1::FLOAT WHEN (memory_links.link_type = 'semantic') THEN $2::FLOAT WHEN (memory_links.link_type = 'entity') THEN $3::FLOAT WHEN (memory_links.link_type = 'causal') THEN $4::FLOAT ELSE 0 END AS score 
FROM memory_links 
WHERE memory_links.bank_id = $5::VARCHAR AND memory_links.from_unit_id = ANY($6::UUID[]) AND CASE WHEN (memory_links.link_type = 'temporal') THEN $1::FLOAT WHEN (memory_links.link_type = 'semantic') THEN $2::FLOAT WHEN (memory_links.link_type = 'entity') THEN $3::FLOAT WHEN (memory_links.link_type = 'causal') THEN $4::FLOAT ELSE 0 END > 0 UNION ALL SELECT memory_links.from_unit_id AS unit_id, memory_links.weight * CASE WHEN (memory_links.link_type = 'temporal') THEN $1::FLOAT WHEN (memory_links.link_type = 'semantic') THEN $2::FLOAT WHEN (memory_links.link_type = 'entity') THEN $3::FLOAT WHEN (memory_links.link_type = 'causal') THEN $4::FLOAT ELSE 0 END AS score 
FROM memory_links 
WHERE memory_links.bank_id = $5::VARCHAR AND memory_links.to_unit_id = ANY($6::UUID[]) AND CASE WHEN (memory_links.link_type = 'temporal') THEN $1::FLOAT WHEN (memory_links.link_type = 'semantic') THEN $2::FLOAT WHEN (memory_links.link_type = 'entity') THEN $3::FLOAT WHEN (memory_links.link_type = 'causal') THEN $4::FLOAT ELSE 0 END > 0) AS hops JOIN memory_units AS g_link ON g_link.bank_id = $5::VARCHAR AND g_link.id = hops.unit_id 
WHERE g_link.invalidated_at IS NULL AND g_link.fact_type IN ('world', 'observation') GROUP BY hops.unit_id ORDER BY max(hops.score) DESC, hops.unit_id 
 LIMIT $7) AS linked ON linked.unit_id = memory_units.id 
WHERE memory_units.bank_id = $5::VARCHAR AND memory_units.invalidated_at IS NULL UNION ALL SELECT memory_units.id, memory_units.bank_id, memory_units.document_id, memory_units.chunk_id, memory_units.text, memory_units.context, memory_units.fact_type, memory_units.event_date, memory_units.occurred_start, memory_units.occurred_end, memory_units.mentioned_at, memory_units.tags, memory_units.metadata, memory_units.proof_count, memory_units.source_memory_ids, memory_units.created_at, memory_units.updated_at, memory_units.consolidated_at, memory_units.consolidation_failed_at, memory_units.invalidated_at, 'graph:entity' AS arm, CAST(shared.score AS FLOAT) AS score 
FROM memory_units JOIN (SELECT ranked.unit_id AS unit_id, max(ranked.shared) AS score 
FROM (SELECT mentions.unit_id AS unit_id, mentions.shared AS shared, mentions.created_at AS created_at, row_number() OVER (PARTITION BY mentions.entity_id ORDER BY mentions.shared DESC, mentions.created_at DESC, mentions.unit_id) AS place 
FROM (SELECT other_mentions.unit_id AS unit_id, other_mentions.entity_id AS entity_id, g_entity.created_at AS created_at, count(*) OVER (PARTITION BY other_mentions.unit_id) AS shared 
FROM unit_entities AS other_mentions JOIN (SELECT DISTINCT seed_mentions.entity_id AS entity_id 
FROM unit_entities AS seed_mentions 
WHERE seed_mentions.bank_id = $5::VARCHAR AND seed_mentions.unit_id = ANY($6::UUID[])) AS seed_entities ON seed_entities.entity_id = other_mentions.entity_id JOIN memory_units AS g_entity ON g_entity.bank_id = $5::VARCHAR AND g_entity.id = other_mentions.unit_id 
WHERE other_mentions.bank_id = $5::VARCHAR AND NOT other_mentions.unit_id = ANY($6::UUID[]) AND g_entity.invalidated_at IS NULL AND g_entity.fact_type IN ('world', 'observation')) AS mentions) AS ranked 
WHERE ranked.place <= $8 GROUP BY ranked.unit_id ORDER BY max(ranked.shared) DESC, max(ranked.created_at) DESC, ranked.unit_id 
 LIMIT $7) AS shared ON shared.unit_id = memory_units.id 
WHERE memory_units.bank_id = $5::VARCHAR AND memory_units.invalidated_at IS NULL UNION ALL SELECT memory_units.id, memory_units.bank_id, memory_units.document_id, memory_units.chunk_id, memory_units.text, memory_units.context, memory_units.fact_type, memory_units.event_date, memory_units.occurred_start, memory_units.occurred_end, memory_units.mentioned_at, memory_units.tags, memory_units.metadata, memory_units.proof_count, memory_units.source_memory_ids, memory_units.created_at, memory_units.updated_at, memory_units.consolidated_at, memory_units.consolidation_failed_at, memory_units.invalidated_at, 'graph:observation' AS arm, CAST(cited.score AS FLOAT) AS score 
FROM memory_units JOIN (SELECT g_obs.id AS unit_id, (SELECT count(*) AS count_1 
FROM unnest(g_obs.source_memory_ids) AS src(v) 
WHERE src.v = ANY($6::UUID[])) AS score 
FROM memory_units AS g_obs 
WHERE g_obs.bank_id = $5::VARCHAR AND (g_obs.source_memory_ids && $6::UUID[]) AND g_obs.invalidated_at IS NULL AND g_obs.fact_type IN ('world', 'observation') ORDER BY score DESC, g_obs.id 
 LIMIT $7) AS cited ON cited.unit_id = memory_units.id 
WHERE memory_units.bank_id = $5::VARCHAR AND memory_units.invalidated_at IS NULL
