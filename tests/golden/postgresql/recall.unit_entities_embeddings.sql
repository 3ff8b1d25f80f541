-- recall.unit_entities_embeddings [postgresql]
-- params: bank_id, ids
SELECT memory_units.id AS unit_id, entities.id AS entity_id, entities.name, entities.entity_type, memory_units.embedding 
FROM memory_units LEFT OUTER JOIN (unit_entities JOIN entities ON entities.bank_id = unit_entities.bank_id AND entities.id = unit_entities.entity_id) ON unit_entities.bank_id = memory_units.bank_id AND unit_entities.unit_id = memory_units.id 
WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.id = ANY($2::UUID[])
