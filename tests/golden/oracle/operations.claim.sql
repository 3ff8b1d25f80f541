-- operations.claim [oracle]
-- params: lease_until, worker, now, ids
UPDATE async_operations SET status='processing', attempts=(async_operations.attempts + 1), next_attempt_at=:lease_until, claimed_by=:worker, claimed_at=:now, updated_at=:now WHERE async_operations.id IN (SELECT HEXTORAW(jt.v) FROM JSON_TABLE(:ids, '$[*]' COLUMNS (v VARCHAR2(32) PATH '$')) jt)
