"""PostgreSQL maintenance statements: `REINDEX INDEX CONCURRENTLY` per vector index (if
asked), then `VACUUM (ANALYZE)` per table (repo.maintenance says when and why). The rebuild
goes first, as pgvector's documentation advises: vacuuming an HNSW index full of dead
entries repairs the graph around each one and is slow (at 100,000 units with half of them
deleted it outlasted a 600 s timeout here); a rebuilt index holds no dead entries, so
the VACUUM after it is quick.

Both refuse a transaction block, so each runs alone on a freshly acquired connection:
not in `BEGIN` (even with `settings_per_transaction`), not in a multi-statement string.
Names are schema-qualified in the SQL, so no session setting (search path) is needed.
"""

from __future__ import annotations

from collections.abc import Sequence

from repo.backends.base import validate_schema_name

#: The vector indexes (HNSW) of the store's unit table, by name.
VECTOR_INDEXES_SQL = (
    "SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'memory_units'"
    " AND indexdef ILIKE '% USING hnsw %' ORDER BY indexname"
)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def vacuum_sql(schema: str, table: str) -> str:
    return f"VACUUM (ANALYZE) {_ident(validate_schema_name(schema))}.{_ident(table)}"


def reindex_sql(schema: str, index: str) -> str:
    return f"REINDEX INDEX CONCURRENTLY {_ident(validate_schema_name(schema))}.{_ident(index)}"


def maintenance_sql(schema: str, tables: Sequence[str], indexes: Sequence[str]) -> list[str]:
    """The statements, in order: each vector index rebuilt, then each table vacuumed."""
    return [reindex_sql(schema, i) for i in indexes] + [vacuum_sql(schema, t) for t in tables]
