"""Shared data for the upgrade-with-data migration tests: a schema-bound asyncpg connection,
rows in every 0001 table written with plain SQL, and snapshots of rows and indexes to
compare before and after a revision."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from repo.urls import asyncpg_url
from tests.helpers import embedding

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TABLES = (
    "banks", "documents", "chunks", "memory_units", "entities", "unit_entities",
    "memory_links", "observation_sources", "async_operations",
)  # fmt: skip


@asynccontextmanager
async def schema_connection(url: str, schema: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain asyncpg connection with `schema` first on its search path, closed on exit."""
    conn = await asyncpg.connect(asyncpg_url(url))
    try:
        await conn.execute(f'SET search_path TO "{schema}", public')
        yield conn
    finally:
        await conn.close()


def _vec(seed: int) -> str:
    return "[" + ",".join(repr(x) for x in embedding(seed)) + "]"


async def load_0001(conn: asyncpg.Connection) -> dict[str, uuid.UUID]:
    """Rows in every 0001 table, written with plain SQL against the 0001 schema (`conn`
    from `schema_connection`)."""
    ids = {name: uuid.uuid4() for name in ("u1", "u2", "obs", "ent", "op")}
    await conn.execute("INSERT INTO banks VALUES ('b1', 'Bank one', '{\"k\": 1}', $1, $1)", T0)
    await conn.execute(
        "INSERT INTO documents VALUES ('b1', 'd1', 'h', 'content', NULL, 1, $1, $1)", T0
    )
    await conn.execute("INSERT INTO chunks VALUES ('b1', 'c1', 'd1', 0, 'chunk text')")
    units = [
        (ids["u1"], "d1", "c1", "alice met bob", "world", None, T0),
        (ids["u2"], None, None, "bob likes tea", "experience", None, T0 + timedelta(hours=1)),
        (ids["obs"], None, None, "bob is social", "observation", [ids["u1"], ids["u2"]],
         T0 + timedelta(hours=2)),
    ]  # fmt: skip
    for i, (uid, doc, chunk, text, fact_type, sources, created) in enumerate(units):
        await conn.execute(
            "INSERT INTO memory_units (id, bank_id, document_id, chunk_id, text, embedding,"
            " fact_type, event_date, tags, metadata, proof_count, source_memory_ids,"
            " created_at, updated_at) VALUES ($1, 'b1', $2, $3, $4, $5::vector, $6, $7,"
            " ARRAY['t1'], '{\"m\": true}', 1, $8, $7, $7)",
            uid, doc, chunk, text, _vec(i), fact_type, created, sources,
        )  # fmt: skip
    await conn.execute(
        "INSERT INTO entities VALUES ($1, 'b1', 'Bob', 'bob', 'person', NULL, 2, $2, $2)",
        ids["ent"], T0,
    )  # fmt: skip
    for uid in (ids["u1"], ids["u2"]):
        await conn.execute("INSERT INTO unit_entities VALUES ($1, $2, 'b1')", uid, ids["ent"])
    await conn.execute(
        "INSERT INTO memory_links VALUES ($1, $2, 'semantic', 'b1', 0.5, $3)",
        ids["u1"], ids["u2"], T0,
    )  # fmt: skip
    await conn.execute(
        "INSERT INTO observation_sources VALUES ($1, $2, 'b1')", ids["obs"], ids["u1"]
    )
    await conn.execute(
        "INSERT INTO async_operations (id, bank_id, operation_type, status, attempts,"
        " max_attempts, next_attempt_at, created_at, updated_at)"
        " VALUES ($1, 'b1', 'retain', 'pending', 0, 3, $2, $2, $2)",
        ids["op"], T0,
    )  # fmt: skip
    return ids


async def snapshot(conn: asyncpg.Connection) -> dict[str, list[dict[str, Any]]]:
    """Every row of the 0001 tables, as dicts, in a stable order."""
    out = {}
    for table in TABLES:
        rows = await conn.fetch(f"SELECT * FROM {table}")
        out[table] = sorted((dict(r) for r in rows), key=repr)
    return out


async def indexes(conn: asyncpg.Connection, schema: str) -> dict[str, str]:
    """Index name -> definition of every index in `schema`."""
    rows = await conn.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1", schema
    )
    return {r["indexname"]: r["indexdef"] for r in rows}
