-- documents.unit_ids [postgresql]
-- params: bank_id, document_id
SELECT memory_units.id, memory_units.chunk_id 
FROM memory_units 
WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.document_id = $2::VARCHAR
