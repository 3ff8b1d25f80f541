-- chunks.list_for_document [oracle]
-- params: bank_id, document_id
SELECT chunks.bank_id, chunks.chunk_id, chunks.document_id, chunks.chunk_index, chunks.text, chunks.content_hash 
FROM chunks 
WHERE chunks.bank_id = :bank_id AND chunks.document_id = :document_id ORDER BY chunks.chunk_index
