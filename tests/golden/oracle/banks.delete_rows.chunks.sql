-- banks.delete_rows.chunks [oracle]
-- params: bank_id
DELETE FROM chunks WHERE chunks.bank_id = :bank_id
