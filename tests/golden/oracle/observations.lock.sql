-- observations.lock [oracle]
-- params: bank_id, id
SELECT memory_units.text, memory_units.tags, memory_units.source_memory_ids, memory_units.occurred_start, memory_units.occurred_end, memory_units.proof_count 
FROM memory_units 
WHERE memory_units.bank_id = :bank_id AND memory_units.id = :id AND memory_units.fact_type = 'observation' FOR UPDATE
