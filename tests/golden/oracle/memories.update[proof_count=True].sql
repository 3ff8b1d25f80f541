-- memories.update[proof_count=True] [oracle]
-- params: proof_count, updated_at, bank_id, unit_id
UPDATE memory_units SET proof_count=:proof_count, updated_at=:updated_at WHERE memory_units.bank_id = :bank_id AND memory_units.id = :unit_id
