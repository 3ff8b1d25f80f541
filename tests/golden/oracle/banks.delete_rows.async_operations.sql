-- banks.delete_rows.async_operations [oracle]
-- params: bank_id
DELETE FROM async_operations WHERE async_operations.bank_id = :bank_id
