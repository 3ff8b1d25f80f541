-- chunks.get [oracle]
-- params: bank_id, chunk_id
SELECT chunks.bank_id, chunks.chunk_id, chunks.document_id, chunks.chunk_index, chunks.text, chunks.content_hash 
FROM chunks 
WHERE chunks.bank_id = :bank_id AND chunks.chunk_id = :chunk_id
