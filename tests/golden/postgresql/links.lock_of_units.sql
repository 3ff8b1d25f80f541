-- links.lock_of_units [postgresql]
-- params: bank_id, from_ids, to_ids
SELECT memory_links.from_unit_id, memory_links.to_unit_id, memory_links.link_type 
FROM memory_links 
WHERE memory_links.bank_id = $1::VARCHAR AND (memory_links.from_unit_id = ANY($2::UUID[]) OR memory_links.to_unit_id = ANY($3::UUID[])) ORDER BY memory_links.from_unit_id, memory_links.to_unit_id, memory_links.link_type FOR UPDATE
