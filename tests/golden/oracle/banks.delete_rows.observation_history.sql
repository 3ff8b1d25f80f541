-- banks.delete_rows.observation_history [oracle]
-- params: bank_id
DELETE FROM observation_history WHERE observation_history.bank_id = :bank_id
