-- banks.delete_rows.unit_entities [oracle]
-- params: bank_id
DELETE FROM unit_entities WHERE unit_entities.bank_id = :bank_id
