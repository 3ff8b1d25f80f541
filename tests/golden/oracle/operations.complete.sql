-- operations.complete [oracle]
-- params: result, now, bank_id, id, worker, attempt
UPDATE async_operations SET status='completed', result=:result, completed_at=:now, updated_at=:now WHERE async_operations.bank_id = :bank_id AND async_operations.id = :id AND async_operations.status = 'processing' AND async_operations.claimed_by = :worker AND async_operations.attempts = :attempt
