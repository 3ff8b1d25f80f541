-- entities.cooccurrences.mentions [postgresql]
-- params: bank_id, ids
SELECT unit_entities.unit_id, unit_entities.entity_id 
FROM unit_entities 
WHERE unit_entities.bank_id = $1::VARCHAR AND unit_entities.unit_id = ANY($2::UUID[])
