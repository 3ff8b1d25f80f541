-- schema.revision [oracle]
-- params: (none)
SELECT version_num 
FROM alembic_version
