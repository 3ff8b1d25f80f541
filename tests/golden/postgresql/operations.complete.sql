-- operations.complete [postgresql]
-- params: result, now, bank_id, id, worker, attempt
UPDATE async_operations SET status='completed', result=$1::JSONB, completed_at=$2::TIMESTAMP WITH TIME ZONE, updated_at=$2::TIMESTAMP WITH TIME ZONE WHERE async_operations.bank_id = $3::VARCHAR AND async_operations.id = $4::UUID AND async_operations.status = 'processing' AND async_operations.claimed_by = $5::VARCHAR AND async_operations.attempts = $6::INTEGER
