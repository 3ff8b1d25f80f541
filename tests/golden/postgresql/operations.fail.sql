-- operations.fail [postgresql]
-- params: status, error, next_attempt_at, completed_at, now, bank_id, id, worker, attempt
UPDATE async_operations SET status=$1::VARCHAR, error_message=$2::VARCHAR, next_attempt_at=$3::TIMESTAMP WITH TIME ZONE, claimed_by=NULL, completed_at=$4::TIMESTAMP WITH TIME ZONE, updated_at=$5::TIMESTAMP WITH TIME ZONE WHERE async_operations.bank_id = $6::VARCHAR AND async_operations.id = $7::UUID AND async_operations.status = 'processing' AND async_operations.claimed_by = $8::VARCHAR AND async_operations.attempts = $9::INTEGER
