-- operations.roll_up_failed [postgresql]
-- params: error, now, bank_id, id
UPDATE async_operations SET status='failed', error_message=$1::VARCHAR, completed_at=$2::TIMESTAMP WITH TIME ZONE, updated_at=$2::TIMESTAMP WITH TIME ZONE WHERE (async_operations.bank_id, async_operations.id) IN (SELECT child.bank_id, child.parent_id 
FROM async_operations AS child 
WHERE child.bank_id = $3::VARCHAR AND child.id = $4::UUID) AND async_operations.status = 'waiting'
