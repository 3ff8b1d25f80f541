-- banks.delete_rows.documents [oracle]
-- params: bank_id
DELETE FROM documents WHERE documents.bank_id = :bank_id
