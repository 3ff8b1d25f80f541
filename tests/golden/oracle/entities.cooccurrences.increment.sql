-- entities.cooccurrences.increment [oracle]
-- params: bank_id, entity_id, other_id, units
MERGE INTO entity_cooccurrences USING (SELECT :bank_id AS bank_id, :entity_id AS entity_id, :other_id AS other_id, :units AS units FROM dual) s ON (entity_cooccurrences.bank_id = s.bank_id AND entity_cooccurrences.entity_id = s.entity_id AND entity_cooccurrences.other_id = s.other_id) WHEN MATCHED THEN UPDATE SET entity_cooccurrences.units = entity_cooccurrences.units + s.units WHEN NOT MATCHED THEN INSERT (bank_id, entity_id, other_id, units) VALUES (s.bank_id, s.entity_id, s.other_id, s.units)
