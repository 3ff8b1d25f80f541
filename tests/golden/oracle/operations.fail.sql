-- operations.fail [oracle]
-- params: status, error, next_attempt_at, completed_at, now, bank_id, id, worker, attempt
UPDATE async_operations SET status=:status, error_message=:error, next_attempt_at=:next_attempt_at, claimed_by=NULL, completed_at=:completed_at, updated_at=:now WHERE async_operations.bank_id = :bank_id AND async_operations.id = :id AND async_operations.status = 'processing' AND async_operations.claimed_by = :worker AND async_operations.attempts = :attempt
