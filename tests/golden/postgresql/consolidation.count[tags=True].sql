-- consolidation.count[tags=True] [postgresql]
-- params: bank_id, fact_types, tags
SELECT count(*) AS count_1 
FROM memory_units 
WHERE memory_units.bank_id = $1::VARCHAR AND memory_units.consolidated_at IS NULL AND memory_units.consolidation_failed_at IS NULL AND memory_units.invalidated_at IS NULL AND memory_units.fact_type = ANY($2::VARCHAR[]) AND memory_units.tags && $3::TEXT[]
