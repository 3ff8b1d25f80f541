-- entities.ids_by_name [postgresql]
-- params: bank_id, names
SELECT entities.id, entities.canonical_name 
FROM entities 
WHERE entities.bank_id = $1::VARCHAR AND entities.canonical_name = ANY($2::VARCHAR[])
