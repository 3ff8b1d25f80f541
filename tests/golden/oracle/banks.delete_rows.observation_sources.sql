-- banks.delete_rows.observation_sources [oracle]
-- params: bank_id
DELETE FROM observation_sources WHERE observation_sources.bank_id = :bank_id
