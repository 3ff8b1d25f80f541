-- banks.delete_rows.memory_units [oracle]
-- params: bank_id
DELETE FROM memory_units WHERE memory_units.bank_id = :bank_id
