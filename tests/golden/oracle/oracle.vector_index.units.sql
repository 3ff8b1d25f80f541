-- oracle.vector_index.units [oracle]
-- params: (none)
SELECT count(*) AS n 
FROM memory_units
