-- documents.delete [oracle]
-- params: bank_id, document_id
DELETE FROM documents WHERE documents.bank_id = :bank_id AND documents.document_id = :document_id
