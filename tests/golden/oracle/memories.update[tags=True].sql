-- memories.update[tags=True] [oracle]
-- params: tags, updated_at, bank_id, unit_id
UPDATE memory_units SET tags=:tags, updated_at=:updated_at WHERE memory_units.bank_id = :bank_id AND memory_units.id = :unit_id
