-- banks.delete_rows.entities [oracle]
-- params: bank_id
DELETE FROM entities WHERE entities.bank_id = :bank_id
