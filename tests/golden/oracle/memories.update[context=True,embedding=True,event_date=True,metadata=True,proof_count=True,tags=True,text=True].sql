-- memories.update[context=True,embedding=True,event_date=True,metadata=True,proof_count=True,tags=True,text=True] [oracle]
-- params: text, context, embedding, event_date, tags, metadata, proof_count, updated_at, bank_id, unit_id
UPDATE memory_units SET text=:text, context=:context, embedding=:embedding, event_date=:event_date, tags=:tags, metadata=:metadata, proof_count=:proof_count, updated_at=:updated_at WHERE memory_units.bank_id = :bank_id AND memory_units.id = :unit_id
