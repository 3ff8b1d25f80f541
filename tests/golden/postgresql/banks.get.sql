-- banks.get [postgresql]
-- params: bank_id
SELECT banks.bank_id, banks.name, banks.metadata, banks.created_at, banks.updated_at 
FROM banks 
WHERE banks.bank_id = $1::VARCHAR
