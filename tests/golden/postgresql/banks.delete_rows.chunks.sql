-- banks.delete_rows.chunks [postgresql]
-- params: bank_id
DELETE FROM chunks WHERE chunks.bank_id = $1::VARCHAR
