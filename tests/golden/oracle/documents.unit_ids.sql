-- documents.unit_ids [oracle]
-- params: bank_id, document_id
SELECT memory_units.id, memory_units.chunk_id 
FROM memory_units 
WHERE memory_units.bank_id = :bank_id AND memory_units.document_id = :document_id
