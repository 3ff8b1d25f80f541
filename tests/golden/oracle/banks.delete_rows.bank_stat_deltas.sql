-- banks.delete_rows.bank_stat_deltas [oracle]
-- params: bank_id
DELETE FROM bank_stat_deltas WHERE bank_stat_deltas.bank_id = :bank_id
