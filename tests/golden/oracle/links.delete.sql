-- links.delete [oracle]
-- params: bank_id, from_unit_id, to_unit_id, link_type
DELETE FROM memory_links WHERE memory_links.bank_id = :bank_id AND memory_links.from_unit_id = :from_unit_id AND memory_links.to_unit_id = :to_unit_id AND memory_links.link_type = :link_type
