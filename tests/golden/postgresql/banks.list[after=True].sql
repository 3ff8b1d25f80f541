-- banks.list[after=True] [postgresql]
-- params: after, limit
SELECT banks.bank_id, banks.name, banks.metadata, banks.created_at, banks.updated_at 
FROM banks 
WHERE banks.bank_id > $1::VARCHAR ORDER BY banks.bank_id 
 LIMIT $2
