-- operations.lock_waiting_parents [postgresql]
-- params: ids
SELECT async_operations.id 
FROM async_operations 
WHERE async_operations.id = ANY($1::UUID[]) AND async_operations.status = 'waiting' ORDER BY async_operations.id FOR UPDATE SKIP LOCKED
