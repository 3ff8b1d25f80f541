-- operations.roll_up_completed [oracle]
-- params: now, bank_id, id
UPDATE async_operations SET status=CASE WHEN (async_operations.unfinished_children = 1) THEN 'completed' ELSE async_operations.status END, completed_at=CASE WHEN (async_operations.unfinished_children = 1) THEN :now ELSE async_operations.completed_at END, updated_at=:now, unfinished_children=(async_operations.unfinished_children - 1) WHERE (async_operations.bank_id, async_operations.id) IN (SELECT child.bank_id, child.parent_id 
FROM async_operations child 
WHERE child.bank_id = :bank_id AND child.id = :id) AND async_operations.status = 'waiting'
