-- operations.count_by_status [postgresql]
-- params: bank_id
SELECT async_operations.status, count(*) AS n 
FROM async_operations 
WHERE async_operations.bank_id = $1::VARCHAR GROUP BY async_operations.status
