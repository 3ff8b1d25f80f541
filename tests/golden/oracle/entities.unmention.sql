-- entities.unmention [oracle]
-- params: n, updated_at, bank_id, entity_id
UPDATE entities SET mention_count=(entities.mention_count - :n), updated_at=:updated_at WHERE entities.bank_id = :bank_id AND entities.id = :entity_id
