-- entities.mentions_of_units [postgresql]
-- params: bank_id, ids
SELECT unit_entities.entity_id, count(*) AS n 
FROM unit_entities JOIN entities ON entities.bank_id = unit_entities.bank_id AND entities.id = unit_entities.entity_id 
WHERE unit_entities.bank_id = $1::VARCHAR AND unit_entities.unit_id = ANY($2::UUID[]) GROUP BY unit_entities.entity_id, entities.canonical_name ORDER BY entities.canonical_name
