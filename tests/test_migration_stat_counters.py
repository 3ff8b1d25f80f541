"""Revision 0010 (bank counters) on a database holding data written before it: the upgrade
keeps every row and index, fills `bank_stat_deltas` with what the tables hold (counted
here in Python from the rows), has no drift, and the triggers keep the counters true for
writes after it; the downgrade removes the table and every trigger and function."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

import asyncpg
import pytest

from repo.migrations import downgrade_sync, migrate
from repo.store import open_store
from tests.conftest import new_schema
from tests.helpers import unit
from tests.migration_data import T0, indexes, load_0001, schema_connection, snapshot
from tests.providers import Provider
from tests.tenants import drop_schema
from tests.test_migrations import schema_diff

pytestmark = pytest.mark.integration

#: A tree queued at 0009: its parent waits for its child (revision 0007).
WAITING_TREE = (
    "INSERT INTO async_operations (id, bank_id, operation_type, status, attempts,"
    " max_attempts, next_attempt_at, parent_id, created_at, updated_at, unfinished_children)"
    " VALUES ($1, 'b1', 'tree', 'waiting', 0, 3, $3, NULL, $3, $3, 1),"
    " ($2, 'b1', 'tree.1', 'pending', 0, 3, $3, $1, $3, $3, 0)"
)


def _truth(rows: dict[str, list[dict[str, Any]]], bank: str) -> dict[str, int]:
    """Every counted figure of `bank`, from the rows."""
    out: Counter[str] = Counter()
    for r in rows["memory_units"]:
        if r["bank_id"] == bank:
            out[f"units:{r['fact_type']}"] += 1
    for r in rows["memory_links"]:
        if r["bank_id"] == bank:
            out[f"links:{r['link_type']}"] += 1
    for r in rows["async_operations"]:
        if r["bank_id"] == bank:
            out[f"operations:{r['status']}"] += 1
    out["entities"] = sum(r["bank_id"] == bank for r in rows["entities"])
    out["documents"] = sum(r["bank_id"] == bank for r in rows["documents"])
    return +out


async def _counters(conn: asyncpg.Connection, bank: str) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT kind, SUM(delta) AS n FROM bank_stat_deltas WHERE bank_id = $1 GROUP BY kind",
        bank,
    )
    return {r["kind"]: int(r["n"]) for r in rows if r["n"]}


async def _triggers(conn: asyncpg.Connection, schema: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = $1 AND NOT t.tgisinternal AND t.tgname LIKE 'memrepo_count%'"
        " ORDER BY 1",
        schema,
    )
    functions = await conn.fetch(
        "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = $1 AND p.proname LIKE 'memrepo_count%'",
        schema,
    )
    return [r[0] for r in rows] + [r[0] for r in functions]


async def test_0010_counts_existing_data_and_keeps_counting(provider: Provider) -> None:
    if provider.backend != "postgresql":
        pytest.skip("the rows are written with PostgreSQL SQL; Oracle's half is golden-filed")
    schema = new_schema()
    try:
        await migrate(provider.url, schema=schema, revision="0001")
        async with schema_connection(provider.url, schema) as conn:
            await load_0001(conn)
            await migrate(provider.url, schema=schema, revision="0009")
            await conn.execute(WAITING_TREE, uuid.uuid4(), uuid.uuid4(), T0)
            before, indexes_before = await snapshot(conn), await indexes(conn, schema)
            assert await _triggers(conn, schema) == []
            await migrate(provider.url, schema=schema, revision="0010")
            after, indexes_after = await snapshot(conn), await indexes(conn, schema)
            truth = _truth(before, "b1")
            assert truth["units:world"] == 1 and truth["documents"] == 1 and truth["entities"]
            assert truth["operations:waiting"] == 1 and truth["operations:pending"] == 2
            assert await _counters(conn, "b1") == truth
            assert len(await _triggers(conn, schema)) == 12 + 5  # triggers, functions
        assert after == before
        new_indexes = {k: v for k, v in indexes_after.items() if k not in indexes_before}
        assert set(new_indexes) == {"pk_bank_stat_deltas", "ix_bank_stat_deltas_kind"}
        assert {k: indexes_after[k] for k in indexes_before} == indexes_before

        await migrate(provider.url, schema=schema)  # any later revisions, on the same rows
        assert await schema_diff(provider.url, schema) == []
        async with open_store(provider.url, schema=schema, run_migrations=False) as store:
            stats = await store.banks.stats("b1")
            assert stats.units == {ft: truth.get(f"units:{ft}", 0) for ft in stats.units}
            assert stats.entities == truth["entities"] and stats.documents == 1
            assert (stats.pending_operations, stats.waiting_operations) == (2, 1)
            await store.memories.retain("b1", [unit(1, fact_type="world", entities=["new"])])
            assert (await store.banks.stats("b1")).units["world"] == truth["units:world"] + 1

        await asyncio.to_thread(downgrade_sync, provider.url, schema=schema, revision="0009")
        async with schema_connection(provider.url, schema) as conn:
            assert await _triggers(conn, schema) == []
            assert await indexes(conn, schema) == indexes_before
            gone = await conn.fetchval("SELECT to_regclass($1)", f'"{schema}".bank_stat_deltas')
            assert gone is None
            # Writes go on without the counters.
            await conn.execute("DELETE FROM memory_units WHERE bank_id = 'b1'")
    finally:
        await drop_schema(provider.url, schema)
