-- banks.lock [postgresql]
-- params: bank_id
SELECT banks.name, banks.metadata 
FROM banks 
WHERE banks.bank_id = $1::VARCHAR FOR NO KEY UPDATE
