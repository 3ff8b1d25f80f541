-- schema.revision [postgresql]
-- params: (none)
SELECT version_num 
FROM alembic_version
