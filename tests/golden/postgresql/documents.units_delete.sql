-- documents.units_delete [postgresql]
-- params: bank_id, document_id
DELETE FROM memory_units WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.document_id = $2::VARCHAR
