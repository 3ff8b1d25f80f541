-- banks.list[after=False] [oracle]
-- params: limit
SELECT banks.bank_id, banks.name, banks.metadata, banks.created_at, banks.updated_at 
FROM banks ORDER BY banks.bank_id
 FETCH FIRST :limit ROWS ONLY
