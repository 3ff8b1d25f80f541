-- links.outgoing [postgresql]
-- params: bank_id, ids
SELECT memory_links.from_unit_id, memory_links.to_unit_id, memory_links.link_type, memory_links.bank_id, memory_links.weight, memory_links.created_at 
FROM memory_links 
WHERE memory_links.bank_id = $1::VARCHAR AND memory_links.from_unit_id = ANY($2::UUID[]) ORDER BY memory_links.weight DESC, memory_links.to_unit_id
