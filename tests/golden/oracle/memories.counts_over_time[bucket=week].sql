-- memories.counts_over_time[bucket=week] [oracle]
-- params: bank_id, since, until
SELECT FROM_TZ(CAST(TRUNC(memory_units.created_at AT TIME ZONE 'UTC', 'IW') AS TIMESTAMP), 'UTC') AS bucket, count(*) AS units 
FROM memory_units 
WHERE memory_units.bank_id = :bank_id AND memory_units.invalidated_at IS NULL AND memory_units.created_at >= :since AND memory_units.created_at < :until GROUP BY FROM_TZ(CAST(TRUNC(memory_units.created_at AT TIME ZONE 'UTC', 'IW') AS TIMESTAMP), 'UTC') ORDER BY FROM_TZ(CAST(TRUNC(memory_units.created_at AT TIME ZONE 'UTC', 'IW') AS TIMESTAMP), 'UTC')
