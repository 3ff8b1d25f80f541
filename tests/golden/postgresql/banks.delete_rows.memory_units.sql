-- banks.delete_rows.memory_units [postgresql]
-- params: bank_id
DELETE FROM memory_units WHERE memory_units.bank_id = $1::VARCHAR
