-- banks.list[after=True] [oracle]
-- params: after, limit
SELECT banks.bank_id, banks.name, banks.metadata, banks.created_at, banks.updated_at 
FROM banks 
WHERE banks.bank_id > :after ORDER BY banks.bank_id
 FETCH FIRST :limit ROWS ONLY
