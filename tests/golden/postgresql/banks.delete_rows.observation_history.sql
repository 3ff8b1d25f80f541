-- banks.delete_rows.observation_history [postgresql]
-- params: bank_id
DELETE FROM observation_history WHERE observation_history.bank_id = $1::VARCHAR
