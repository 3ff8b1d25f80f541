-- banks.lock [oracle]
-- params: bank_id
SELECT banks.name, banks.metadata 
FROM banks 
WHERE banks.bank_id = :bank_id FOR UPDATE
