-- memories.lock_referenced [postgresql]
-- params: bank_id, ids
SELECT memory_units.id 
FROM memory_units 
WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.id = ANY($2::UUID[]) ORDER BY memory_units.id FOR KEY SHARE
