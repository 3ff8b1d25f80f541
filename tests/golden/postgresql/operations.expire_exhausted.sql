-- operations.expire_exhausted [postgresql]
-- params: now
UPDATE async_operations SET status='failed', error_message=coalesce(async_operations.error_message, 'lease expired'), completed_at=$1::TIMESTAMP WITH TIME ZONE, updated_at=$1::TIMESTAMP WITH TIME ZONE WHERE async_operations.status IN ('pending', 'processing') AND async_operations.next_attempt_at <= $1::TIMESTAMP WITH TIME ZONE AND async_operations.attempts >= async_operations.max_attempts
