-- operations.expire [oracle]
-- params: now, ids
UPDATE async_operations SET status='failed', error_message=coalesce(async_operations.error_message, 'lease expired'), completed_at=:now, updated_at=:now WHERE async_operations.id IN (SELECT HEXTORAW(jt.v) FROM JSON_TABLE(:ids, '$[*]' COLUMNS (v VARCHAR2(32) PATH '$')) jt)
