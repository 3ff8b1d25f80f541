-- memories.update[context=True,embedding=True,event_date=True,metadata=True,proof_count=True,tags=True,text=True] [postgresql]
-- params: text, context, embedding, event_date, tags, metadata, proof_count, updated_at, bank_id, unit_id
UPDATE memory_units SET text=$1::VARCHAR, context=$2::VARCHAR, embedding=$3, event_date=$4::TIMESTAMP WITH TIME ZONE, tags=$5::TEXT[], metadata=$6::JSONB, proof_count=$7::INTEGER, updated_at=$8::TIMESTAMP WITH TIME ZONE WHERE memory_units.bank_id = $9::VARCHAR AND memory_units.id = $10::UUID
