-- banks.stats_fold_delete [oracle]
-- params: bank_id, ids
DELETE FROM bank_stat_deltas WHERE bank_stat_deltas.bank_id = :bank_id AND bank_stat_deltas.id IN (SELECT HEXTORAW(jt.v) FROM JSON_TABLE(:ids, '$[*]' COLUMNS (v VARCHAR2(32) PATH '$')) jt)
