-- memories.update[context=True] [oracle]
-- params: context, updated_at, bank_id, unit_id
UPDATE memory_units SET context=:context, updated_at=:updated_at WHERE memory_units.bank_id = :bank_id AND memory_units.id = :unit_id
