-- banks.delete_rows.documents [postgresql]
-- params: bank_id
DELETE FROM documents WHERE documents.bank_id = $1::VARCHAR
