-- entities.prune_orphans [postgresql]
-- params: bank_id, ids
DELETE FROM entities WHERE entities.bank_id = $1::VARCHAR AND entities.id = ANY($2::UUID[]) AND entities.mention_count <= 0
