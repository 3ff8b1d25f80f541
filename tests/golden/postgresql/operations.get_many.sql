-- operations.get_many [postgresql]
-- params: bank_id, ids
SELECT async_operations.id, async_operations.bank_id, async_operations.operation_type, async_operations.status, async_operations.payload, async_operations.result, async_operations.error_message, async_operations.attempts, async_operations.max_attempts, async_operations.next_attempt_at, async_operations.parent_id, async_operations.claimed_by, async_operations.claimed_at, async_operations.completed_at, async_operations.created_at, async_operations.updated_at, async_operations.unfinished_children 
FROM async_operations 
WHERE async_operations.bank_id = $1::VARCHAR AND async_operations.id = ANY($2::UUID[])
