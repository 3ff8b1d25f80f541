-- chunks.list_for_document [postgresql]
-- params: bank_id, document_id
SELECT chunks.bank_id, chunks.chunk_id, chunks.document_id, chunks.chunk_index, chunks.text, chunks.content_hash 
FROM chunks 
WHERE chunks.bank_id = $1::VARCHAR AND chunks.document_id = $2::VARCHAR ORDER BY chunks.chunk_index
