-- links.outgoing [oracle]
-- params: bank_id, ids
SELECT memory_links.from_unit_id, memory_links.to_unit_id, memory_links.link_type, memory_links.bank_id, memory_links.weight, memory_links.created_at 
FROM memory_links 
WHERE memory_links.bank_id = :bank_id AND memory_links.from_unit_id IN (SELECT HEXTORAW(jt.v) FROM JSON_TABLE(:ids, '$[*]' COLUMNS (v VARCHAR2(32) PATH '$')) jt) ORDER BY memory_links.weight DESC, memory_links.to_unit_id
