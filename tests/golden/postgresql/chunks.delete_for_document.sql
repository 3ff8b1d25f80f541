-- chunks.delete_for_document [postgresql]
-- params: bank_id, document_id
DELETE FROM chunks WHERE chunks.bank_id = $1::VARCHAR AND chunks.document_id = $2::VARCHAR
