-- banks.delete_rows.observation_sources [postgresql]
-- params: bank_id
DELETE FROM observation_sources WHERE observation_sources.bank_id = $1::VARCHAR
