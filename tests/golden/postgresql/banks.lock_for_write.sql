-- banks.lock_for_write [postgresql]
-- params: bank_id
SELECT banks.bank_id 
FROM banks 
WHERE banks.bank_id = $1::VARCHAR FOR KEY SHARE
