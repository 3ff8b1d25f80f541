-- operations.exhausted [oracle]
-- params: now
SELECT async_operations.bank_id, async_operations.id, async_operations.parent_id 
FROM async_operations 
WHERE CASE WHEN (async_operations.status IN ('pending', 'processing')) THEN async_operations.next_attempt_at END <= :now AND async_operations.attempts >= async_operations.max_attempts FOR UPDATE SKIP LOCKED
