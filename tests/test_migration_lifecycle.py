"""Revision 0002 (memory lifecycle) on a database that already holds data written at 0001:
upgrade keeps every row and adds the new columns as NULL, the new index and table exist,
the store works on the upgraded rows, `alembic check` finds no drift, downgrade restores
the 0001 schema with every row intact."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from repo.migrations import downgrade_sync, migrate
from repo.models import ObservationUpdate
from repo.store import open_store
from repo.urls import asyncpg_url
from tests.conftest import new_schema
from tests.helpers import embedding
from tests.providers import Provider
from tests.tenants import drop_schema
from tests.test_migrations import schema_diff

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NEW_UNIT_COLUMNS = {"consolidated_at", "consolidation_failed_at", "invalidated_at"}
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


async def _load_0001(conn: asyncpg.Connection) -> dict[str, uuid.UUID]:
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


async def _snapshot(conn: asyncpg.Connection) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for table in TABLES:
        rows = await conn.fetch(f"SELECT * FROM {table}")
        out[table] = sorted((dict(r) for r in rows), key=repr)
    return out


async def _indexes(conn: asyncpg.Connection, schema: str) -> dict[str, str]:
    rows = await conn.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1", schema
    )
    return {r["indexname"]: r["indexdef"] for r in rows}


async def test_0002_upgrades_and_downgrades_a_database_with_data(provider: Provider) -> None:
    if provider.backend != "postgresql":
        pytest.skip("the 0001 rows are written with PostgreSQL SQL; Oracle's half is golden-filed")
    schema = new_schema()
    try:
        await migrate(provider.url, schema=schema, revision="0001")
        async with schema_connection(provider.url, schema) as conn:
            ids = await _load_0001(conn)
            before, indexes_before = await _snapshot(conn), await _indexes(conn, schema)
            await migrate(provider.url, schema=schema, revision="0002")
            after, indexes_after = await _snapshot(conn), await _indexes(conn, schema)

        # Every row kept; the new unit columns are NULL on every old row.
        for table in TABLES:
            assert len(after[table]) == len(before[table]), table
        for old, new in zip(before["memory_units"], after["memory_units"], strict=True):
            assert {k: new[k] for k in old} == old
            assert {k: new[k] for k in NEW_UNIT_COLUMNS} == dict.fromkeys(NEW_UNIT_COLUMNS)
        for table in set(TABLES) - {"memory_units"}:
            assert after[table] == before[table], table
        # Every index kept (same definition), plus the new ones.
        assert {k: indexes_after[k] for k in indexes_before} == indexes_before
        added = set(indexes_after) - set(indexes_before)
        assert added == {
            "ix_memory_units_bank_consolidated",
            "ix_observation_history_observation",
            "pk_observation_history",
        }
        assert (
            "(bank_id, consolidated_at, created_at, id)"
            in indexes_after["ix_memory_units_bank_consolidated"]
        )
        await migrate(provider.url, schema=schema)  # the later revisions, on the same rows
        assert await schema_diff(provider.url, schema) == []

        # The store works on the upgraded rows.
        async with open_store(provider.url, schema=schema, run_migrations=False) as store:
            pending = await store.consolidation.find_unconsolidated("b1")
            assert [r["id"] for r in pending] == [ids["u1"], ids["u2"]]
            assert await store.consolidation.mark_consolidated("b1", [ids["u1"]]) == 1
            assert await store.consolidation.count_unconsolidated("b1") == 1
            change = ObservationUpdate("bob is very social", embedding(9), [ids["u2"]])
            row = await store.observations.update("b1", ids["obs"], change)
            assert row["text"] == "bob is very social"
            [history] = await store.observations.history("b1", ids["obs"])
            assert history["previous_text"] == "bob is social"

        await asyncio.to_thread(downgrade_sync, provider.url, schema=schema, revision="0001")
        async with schema_connection(provider.url, schema) as conn:
            down = await _snapshot(conn)
            indexes_down = await _indexes(conn, schema)
            history_table = await conn.fetchval(
                "SELECT to_regclass($1)", f'"{schema}".observation_history'
            )
        assert history_table is None
        assert indexes_down == indexes_before
        assert set(down["memory_units"][0]) == set(before["memory_units"][0])
        assert len(down["memory_units"]) == 3 and down["banks"] == before["banks"]
    finally:
        await drop_schema(provider.url, schema)
