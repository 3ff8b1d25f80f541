-- entities.resolve [postgresql]
-- params: names, bank_id, min_similarity
SELECT q.ord, m.id, m.name, m.canonical_name, m.entity_type, m.mention_count, m.similarity 
FROM (SELECT n.name, n.ord FROM unnest($1::VARCHAR[]) WITH ORDINALITY AS n(name, ord)) AS q, LATERAL (SELECT e.id AS id, e.name AS name, e.canonical_name AS canonical_name, e.entity_type AS entity_type, e.mention_count AS mention_count, 1 - (e.canonical_name OPERATOR(public.<->) q.name) AS similarity 
FROM entities AS e 
WHERE e.bank_id = $2::VARCHAR ORDER BY (e.canonical_name OPERATOR(public.<->) q.name), e.id 
 LIMIT 1) AS m 
WHERE m.similarity >= $3::FLOAT ORDER BY q.ord
