-- operations.prune [postgresql]
-- params: bank_id, before
DELETE FROM async_operations WHERE async_operations.bank_id = $1::VARCHAR AND async_operations.status IN ('completed', 'failed') AND async_operations.updated_at < $2::TIMESTAMP WITH TIME ZONE AND async_operations.parent_id IS NULL
