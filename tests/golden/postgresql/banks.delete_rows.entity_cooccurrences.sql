-- banks.delete_rows.entity_cooccurrences [postgresql]
-- params: bank_id
DELETE FROM entity_cooccurrences WHERE entity_cooccurrences.bank_id = $1::VARCHAR
