-- memories.counts_over_time[bucket=day] [postgresql]
-- params: bank_id, since, until
SELECT date_trunc('day', memory_units.created_at, 'UTC') AS bucket, count(*) AS units 
FROM memory_units 
WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.invalidated_at IS NULL AND memory_units.created_at >= $2::TIMESTAMP WITH TIME ZONE AND memory_units.created_at < $3::TIMESTAMP WITH TIME ZONE GROUP BY date_trunc('day', memory_units.created_at, 'UTC') ORDER BY bucket
