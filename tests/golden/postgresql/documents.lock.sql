-- documents.lock [postgresql]
-- params: bank_id, document_id
SELECT documents.bank_id, documents.document_id, documents.content_hash, documents.version 
FROM documents 
WHERE documents.bank_id = $1::VARCHAR AND documents.document_id = $2::VARCHAR FOR UPDATE
