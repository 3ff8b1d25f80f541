-- documents.units_delete [oracle]
-- params: bank_id, document_id
DELETE FROM memory_units WHERE memory_units.bank_id = :bank_id AND memory_units.document_id = :document_id
