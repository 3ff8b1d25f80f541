-- chunks.get [postgresql]
-- params: bank_id, chunk_id
SELECT chunks.bank_id, chunks.chunk_id, chunks.document_id, chunks.chunk_index, chunks.text, chunks.content_hash 
FROM chunks 
WHERE chunks.bank_id = $1::VARCHAR AND chunks.chunk_id = $2::VARCHAR
