-- links.lock_of_units [oracle]
-- params: bank_id, from_ids, to_ids
SELECT memory_links.from_unit_id, memory_links.to_unit_id, memory_links.link_type 
FROM memory_links 
WHERE memory_links.bank_id = :bank_id AND (memory_links.from_unit_id IN (SELECT HEXTORAW(jt.v) FROM JSON_TABLE(:from_ids, '$[*]' COLUMNS (v VARCHAR2(32) PATH '$')) jt) OR memory_links.to_unit_id IN (SELECT HEXTORAW(jt.v) FROM JSON_TABLE(:to_ids, '$[*]' COLUMNS (v VARCHAR2(32) PATH '$')) jt)) ORDER BY memory_links.from_unit_id, memory_links.to_unit_id, memory_links.link_type FOR UPDATE
