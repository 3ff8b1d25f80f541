-- links.delete [postgresql]
-- params: bank_id, from_unit_id, to_unit_id, link_type
DELETE FROM memory_links WHERE memory_links.bank_id = $1::VARCHAR AND memory_links.from_unit_id = $2::UUID AND memory_links.to_unit_id = $3::UUID AND memory_links.link_type = $4::VARCHAR
