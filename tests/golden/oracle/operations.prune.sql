-- operations.prune [oracle]
-- params: bank_id, before
DELETE FROM async_operations WHERE async_operations.bank_id = :bank_id AND async_operations.status IN ('completed', 'failed') AND async_operations.updated_at < :before AND async_operations.parent_id IS NULL
