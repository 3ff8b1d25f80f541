-- entities.seen [oracle]
-- params: bank_id, ids
SELECT unit_entities.entity_id, min(coalesce(memory_units.event_date, memory_units.created_at)) AS first_seen, max(coalesce(memory_units.event_date, memory_units.created_at)) AS last_seen, count(*) AS units 
FROM unit_entities JOIN memory_units ON memory_units.bank_id = unit_entities.bank_id AND memory_units.id = unit_entities.unit_id 
WHERE unit_entities.bank_id = :bank_id AND unit_entities.entity_id IN (SELECT HEXTORAW(jt.v) FROM JSON_TABLE(:ids, '$[*]' COLUMNS (v VARCHAR2(32) PATH '$')) jt) AND memory_units.invalidated_at IS NULL GROUP BY unit_entities.entity_id
