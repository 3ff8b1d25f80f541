-- operations.expire [postgresql]
-- params: now, ids
UPDATE async_operations SET status='failed', error_message=coalesce(async_operations.error_message, 'lease expired'), completed_at=$1::TIMESTAMP WITH TIME ZONE, updated_at=$1::TIMESTAMP WITH TIME ZONE WHERE async_operations.id = ANY($2::UUID[])
