-- entities.seen [postgresql]
-- params: bank_id, ids
SELECT unit_entities.entity_id, min(coalesce(memory_units.event_date, memory_units.created_at)) AS first_seen, max(coalesce(memory_units.event_date, memory_units.created_at)) AS last_seen, count(*) AS units 
FROM unit_entities JOIN memory_units ON memory_units.bank_id = unit_entities.bank_id AND memory_units.id = unit_entities.unit_id 
WHERE unit_entities.bank_id = $1::VARCHAR AND unit_entities.entity_id = ANY($2::UUID[]) AND memory_units.invalidated_at IS NULL GROUP BY unit_entities.entity_id
