-- entities.prune_orphans [oracle]
-- params: bank_id, ids
DELETE FROM entities WHERE entities.bank_id = :bank_id AND entities.id IN (SELECT HEXTORAW(jt.v) FROM JSON_TABLE(:ids, '$[*]' COLUMNS (v VARCHAR2(32) PATH '$')) jt) AND entities.mention_count <= 0
