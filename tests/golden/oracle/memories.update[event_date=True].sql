-- memories.update[event_date=True] [oracle]
-- params: event_date, updated_at, bank_id, unit_id
UPDATE memory_units SET event_date=:event_date, updated_at=:updated_at WHERE memory_units.bank_id = :bank_id AND memory_units.id = :unit_id
