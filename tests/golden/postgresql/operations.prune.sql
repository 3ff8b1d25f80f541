-- operations.prune [postgresql]
-- params: bank_id, before
DELETE FROM async_operations WHERE async_operations.bank_id = $1::VARCHAR AND async_operations.status IN ('completed', 'failed') AND async_operations.updated_at < $2::TIMESTAMP WITH TIME ZONE AND async_operations.parent_id IS NULL AND NOT (EXISTS (SELECT * 
FROM async_operations AS child 
WHERE child.parent_id = async_operations.id AND child.status IN ('pending', 'processing')))
