-- banks.update [oracle]
-- params: name, metadata, updated_at, bank_id
UPDATE banks SET name=:name, metadata=:metadata, updated_at=:updated_at WHERE banks.bank_id = :bank_id
