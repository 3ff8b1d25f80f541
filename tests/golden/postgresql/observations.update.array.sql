-- observations.update.array [postgresql]
-- params: text, embedding, occurred_start, occurred_end, tags, proof_count, source_memory_ids, updated_at, bank_id, id
UPDATE memory_units SET text=$1::VARCHAR, embedding=$2, occurred_start=$3::TIMESTAMP WITH TIME ZONE, occurred_end=$4::TIMESTAMP WITH TIME ZONE, tags=$5::TEXT[], proof_count=$6::INTEGER, source_memory_ids=$7::UUID[], updated_at=$8::TIMESTAMP WITH TIME ZONE WHERE memory_units.bank_id = $9::VARCHAR AND memory_units.id = $10::UUID
