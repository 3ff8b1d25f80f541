-- banks.get [oracle]
-- params: bank_id
SELECT banks.bank_id, banks.name, banks.metadata, banks.created_at, banks.updated_at 
FROM banks 
WHERE banks.bank_id = :bank_id
