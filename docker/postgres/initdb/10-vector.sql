-- Runs once, as the superuser ($POSTGRES_USER), in $POSTGRES_DB, when the data directory is
-- created (official image: /docker-entrypoint-initdb.d). pgvector's extension is not marked
-- trusted, so a non-superuser application role could not create it; creating it here matches
-- the embedded server (repo/embedded.py). Migrations still say CREATE EXTENSION IF NOT EXISTS.
CREATE EXTENSION IF NOT EXISTS vector SCHEMA public;
