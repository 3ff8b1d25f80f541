-- banks.stats_foldable [postgresql]
-- params: bank_id, limit
SELECT bank_stat_deltas.id, bank_stat_deltas.kind, bank_stat_deltas.delta, bank_stat_deltas.written_at 
FROM bank_stat_deltas 
WHERE bank_stat_deltas.bank_id = $1::VARCHAR 
 LIMIT $2 FOR UPDATE SKIP LOCKED
