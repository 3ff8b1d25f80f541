-- banks.delete_rows.async_operations.children [oracle]
-- params: bank_id
DELETE FROM async_operations WHERE async_operations.bank_id = :bank_id AND async_operations.parent_id IS NOT NULL
