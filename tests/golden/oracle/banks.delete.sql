-- banks.delete [oracle]
-- params: bank_id
DELETE FROM banks WHERE banks.bank_id = :bank_id
