-- banks.stats_fold_delete [postgresql]
-- params: bank_id, ids
DELETE FROM bank_stat_deltas WHERE bank_stat_deltas.bank_id = $1::VARCHAR AND bank_stat_deltas.id = ANY($2::UUID[])
