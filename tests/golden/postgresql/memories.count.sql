-- memories.count [postgresql]
-- params: bank_id
SELECT count(*) AS count_1 
FROM memory_units 
WHERE memory_units.bank_id = $1::VARCHAR
