-- banks.delete [postgresql]
-- params: bank_id
DELETE FROM banks WHERE banks.bank_id = $1::VARCHAR
