-- chunks.delete_for_document [oracle]
-- params: bank_id, document_id
DELETE FROM chunks WHERE chunks.bank_id = :bank_id AND chunks.document_id = :document_id
