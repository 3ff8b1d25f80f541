-- memories.update[metadata=True] [oracle]
-- params: metadata, updated_at, bank_id, unit_id
UPDATE memory_units SET metadata=:metadata, updated_at=:updated_at WHERE memory_units.bank_id = :bank_id AND memory_units.id = :unit_id
