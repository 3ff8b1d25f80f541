-- banks.lock_for_delete [postgresql]
-- params: bank_id
SELECT banks.bank_id 
FROM banks 
WHERE banks.bank_id = $1::VARCHAR FOR UPDATE
