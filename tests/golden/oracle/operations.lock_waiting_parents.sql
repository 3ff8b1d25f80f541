-- operations.lock_waiting_parents [oracle]
-- params: ids
SELECT async_operations.id 
FROM async_operations 
WHERE async_operations.id IN (SELECT HEXTORAW(jt.v) FROM JSON_TABLE(:ids, '$[*]' COLUMNS (v VARCHAR2(32) PATH '$')) jt) AND async_operations.status = 'waiting' ORDER BY async_operations.id FOR UPDATE SKIP LOCKED
