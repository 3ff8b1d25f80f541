-- oracle.vector_index.present [oracle]
-- params: index_name
SELECT count(*) AS n 
FROM all_indexes 
WHERE all_indexes.owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND all_indexes.index_name = :index_name
