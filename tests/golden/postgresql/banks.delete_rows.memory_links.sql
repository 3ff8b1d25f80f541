-- banks.delete_rows.memory_links [postgresql]
-- params: bank_id
DELETE FROM memory_links WHERE memory_links.bank_id = $1::VARCHAR
