-- banks.stats_foldable [oracle]
-- params: bank_id
SELECT bank_stat_deltas.id, bank_stat_deltas.kind, bank_stat_deltas.delta, bank_stat_deltas.written_at 
FROM bank_stat_deltas 
WHERE bank_stat_deltas.bank_id = :bank_id FOR UPDATE SKIP LOCKED
