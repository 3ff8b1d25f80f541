-- operations.roll_up_failed [oracle]
-- params: error, now, bank_id, id
UPDATE async_operations SET status='failed', error_message=:error, completed_at=:now, updated_at=:now WHERE (async_operations.bank_id, async_operations.id) IN (SELECT child.bank_id, child.parent_id 
FROM async_operations child 
WHERE child.bank_id = :bank_id AND child.id = :id) AND async_operations.status = 'waiting'
