-- banks.lock_for_delete [oracle]
-- params: bank_id
SELECT banks.bank_id 
FROM banks 
WHERE banks.bank_id = :bank_id FOR UPDATE
