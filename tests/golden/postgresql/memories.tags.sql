-- memories.tags [postgresql]
-- params: bank_id
SELECT t.tag, count(*) AS units 
FROM memory_units, LATERAL (SELECT unnest(memory_units.tags) AS tag) AS t 
WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.invalidated_at IS NULL GROUP BY t.tag ORDER BY count(*) DESC, t.tag
