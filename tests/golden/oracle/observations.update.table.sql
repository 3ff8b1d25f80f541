-- observations.update.table [oracle]
-- params: text, embedding, occurred_start, occurred_end, tags, proof_count, updated_at, bank_id, id
UPDATE memory_units SET text=:text, embedding=:embedding, occurred_start=:occurred_start, occurred_end=:occurred_end, tags=:tags, proof_count=:proof_count, updated_at=:updated_at WHERE memory_units.bank_id = :bank_id AND memory_units.id = :id
