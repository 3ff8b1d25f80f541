-- operations.exhausted [postgresql]
-- params: now, limit
SELECT async_operations.bank_id, async_operations.id, async_operations.parent_id 
FROM async_operations 
WHERE async_operations.status IN ('pending', 'processing') AND async_operations.next_attempt_at <= $1::TIMESTAMP WITH TIME ZONE AND async_operations.attempts >= async_operations.max_attempts 
 LIMIT $2 FOR UPDATE SKIP LOCKED
