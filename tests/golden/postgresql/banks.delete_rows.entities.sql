-- banks.delete_rows.entities [postgresql]
-- params: bank_id
DELETE FROM entities WHERE entities.bank_id = $1::VARCHAR
