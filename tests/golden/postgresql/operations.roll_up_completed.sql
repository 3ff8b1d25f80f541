-- operations.roll_up_completed [postgresql]
-- params: now, bank_id, id
UPDATE async_operations SET status=CASE WHEN (async_operations.unfinished_children = 1) THEN 'completed' ELSE async_operations.status END, completed_at=CASE WHEN (async_operations.unfinished_children = 1) THEN $1::TIMESTAMP WITH TIME ZONE ELSE async_operations.completed_at END, updated_at=$1::TIMESTAMP WITH TIME ZONE, unfinished_children=(async_operations.unfinished_children - 1) WHERE (async_operations.bank_id, async_operations.id) IN (SELECT child.bank_id, child.parent_id 
FROM async_operations AS child 
WHERE child.bank_id = $2::VARCHAR AND child.id = $3::UUID) AND async_operations.status = 'waiting'
