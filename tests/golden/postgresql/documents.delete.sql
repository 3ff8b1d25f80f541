-- documents.delete [postgresql]
-- params: bank_id, document_id
DELETE FROM documents WHERE documents.bank_id = $1::VARCHAR AND documents.document_id = $2::VARCHAR
