-- operations.expire_exhausted [oracle]
-- params: now
UPDATE async_operations SET status='failed', error_message=coalesce(async_operations.error_message, 'lease expired'), completed_at=:now, updated_at=:now WHERE async_operations.status IN ('pending', 'processing') AND async_operations.next_attempt_at <= :now AND async_operations.attempts >= async_operations.max_attempts
