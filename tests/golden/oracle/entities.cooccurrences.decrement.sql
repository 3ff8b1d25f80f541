-- entities.cooccurrences.decrement [oracle]
-- params: units, bank_id, entity_id, other_id
UPDATE entity_cooccurrences SET units=(entity_cooccurrences.units - :units) WHERE entity_cooccurrences.bank_id = :bank_id AND entity_cooccurrences.entity_id = :entity_id AND entity_cooccurrences.other_id = :other_id
