-- documents.lock [oracle]
-- params: bank_id, document_id
SELECT documents.bank_id, documents.document_id, documents.content_hash, documents.version 
FROM documents 
WHERE documents.bank_id = :bank_id AND documents.document_id = :document_id FOR UPDATE
