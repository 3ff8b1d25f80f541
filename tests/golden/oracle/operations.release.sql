-- operations.release [oracle]
-- params: now, ids, worker
UPDATE async_operations SET status='pending', attempts=(async_operations.attempts - 1), next_attempt_at=:now, claimed_by=NULL, claimed_at=NULL, updated_at=:now WHERE async_operations.id IN (SELECT HEXTORAW(jt.v) FROM JSON_TABLE(:ids, '$[*]' COLUMNS (v VARCHAR2(32) PATH '$')) jt) AND async_operations.status = 'processing' AND async_operations.claimed_by = :worker AND async_operations.claimed_at = :now
