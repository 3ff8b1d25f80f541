-- banks.create [oracle]
-- params: bank_id, name, metadata, created_at, updated_at
MERGE INTO banks USING (SELECT :bank_id AS bank_id, :name AS name, :metadata AS metadata, :created_at AS created_at, :updated_at AS updated_at FROM dual) s ON (banks.bank_id = s.bank_id) WHEN NOT MATCHED THEN INSERT (bank_id, name, metadata, created_at, updated_at) VALUES (s.bank_id, s.name, s.metadata, s.created_at, s.updated_at)
