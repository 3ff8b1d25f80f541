-- banks.delete_rows.async_operations.children [postgresql]
-- params: bank_id
DELETE FROM async_operations WHERE async_operations.bank_id = $1::VARCHAR AND async_operations.parent_id IS NOT NULL
