-- operations.claim [postgresql]
-- params: lease_until, worker, now, ids
UPDATE async_operations SET status='processing', attempts=(async_operations.attempts + 1), next_attempt_at=$1::TIMESTAMP WITH TIME ZONE, claimed_by=$2::VARCHAR, claimed_at=$3::TIMESTAMP WITH TIME ZONE, updated_at=$3::TIMESTAMP WITH TIME ZONE WHERE async_operations.id = ANY($4::UUID[])
