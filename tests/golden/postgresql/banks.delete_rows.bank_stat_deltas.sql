-- banks.delete_rows.bank_stat_deltas [postgresql]
-- params: bank_id
DELETE FROM bank_stat_deltas WHERE bank_stat_deltas.bank_id = $1::VARCHAR
