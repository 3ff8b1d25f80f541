-- banks.delete_rows.unit_entities [postgresql]
-- params: bank_id
DELETE FROM unit_entities WHERE unit_entities.bank_id = $1::VARCHAR
