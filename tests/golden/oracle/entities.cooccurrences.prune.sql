-- entities.cooccurrences.prune [oracle]
-- params: bank_id, entity_ids
DELETE FROM entity_cooccurrences WHERE entity_cooccurrences.bank_id = :bank_id AND entity_cooccurrences.entity_id IN (SELECT HEXTORAW(jt.v) FROM JSON_TABLE(:entity_ids, '$[*]' COLUMNS (v VARCHAR2(32) PATH '$')) jt) AND entity_cooccurrences.units <= 0
