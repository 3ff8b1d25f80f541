-- banks.delete_rows.memory_links [oracle]
-- params: bank_id
DELETE FROM memory_links WHERE memory_links.bank_id = :bank_id
