-- entities.resolve [oracle]
-- params: names, bank_id, min_similarity
SELECT q.ord, m.id, m.name, m.canonical_name, m.entity_type, m.mention_count, m.similarity 
FROM JSON_TABLE(:names, '$[*]' COLUMNS (name VARCHAR2(255 CHAR) PATH '$', ord FOR ORDINALITY)) q, LATERAL (SELECT e.id AS id, e.name AS name, e.canonical_name AS canonical_name, e.entity_type AS entity_type, e.mention_count AS mention_count, 1 - (1 - UTL_MATCH.JARO_WINKLER_SIMILARITY(e.canonical_name, q.name) / 100) AS similarity 
FROM entities e 
WHERE e.bank_id = :bank_id ORDER BY (1 - UTL_MATCH.JARO_WINKLER_SIMILARITY(e.canonical_name, q.name) / 100), e.id
 FETCH FIRST 1 ROWS ONLY) m 
WHERE m.similarity >= :min_similarity ORDER BY q.ord
