-- operations.count_by_status [oracle]
-- params: bank_id
SELECT async_operations.status, count(*) AS n 
FROM async_operations 
WHERE async_operations.bank_id = :bank_id GROUP BY async_operations.status
