-- memories.update[text=True] [oracle]
-- params: text, updated_at, bank_id, unit_id
UPDATE memory_units SET text=:text, updated_at=:updated_at WHERE memory_units.bank_id = :bank_id AND memory_units.id = :unit_id
