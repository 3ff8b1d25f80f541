-- banks.delete_rows.entity_cooccurrences [oracle]
-- params: bank_id
DELETE FROM entity_cooccurrences WHERE entity_cooccurrences.bank_id = :bank_id
