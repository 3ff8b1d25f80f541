-- operations.release [postgresql]
-- params: now, ids, worker
UPDATE async_operations SET status='pending', attempts=(async_operations.attempts - 1), next_attempt_at=$1::TIMESTAMP WITH TIME ZONE, claimed_by=NULL, claimed_at=NULL, updated_at=$1::TIMESTAMP WITH TIME ZONE WHERE async_operations.id = ANY($2::UUID[]) AND async_operations.status = 'processing' AND async_operations.claimed_by = $3::VARCHAR AND async_operations.claimed_at = $1::TIMESTAMP WITH TIME ZONE
