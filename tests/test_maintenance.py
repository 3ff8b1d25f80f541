"""`store.maintain()`: VACUUM (ANALYZE) per table (dead rows counted by the server before
and after), REINDEX CONCURRENTLY of the vector indexes, never inside a transaction block
(also with `settings_per_transaction`), bad input rejected before SQL, bounded time with
a typed error (a lock it waits on, a backend killed under it)."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import asyncpg
import pytest

from repo.errors import (
    ConfigurationError,
    ConnectionLostError,
    StatementTimeoutError,
    ValidationError,
)
from repo.maintenance import STORE_TABLES
from repo.store import Store
from tests.conftest import store_on_new_schema
from tests.helpers import unit
from tests.providers import Provider

pytestmark = pytest.mark.integration


def _pg(provider: Provider) -> None:
    if provider.backend != "postgresql":
        pytest.skip("VACUUM is PostgreSQL's (Oracle: tests/test_oracle_maintenance.py)")


async def _table_stats(provider: Provider, schema: str) -> Any:
    conn = await asyncpg.connect(provider.url)
    try:
        return await conn.fetchrow(
            "SELECT n_dead_tup, vacuum_count, analyze_count FROM pg_stat_user_tables"
            " WHERE schemaname = $1 AND relname = 'memory_units'",
            schema,
        )
    finally:
        await conn.close()


async def _dead_rows_reported(provider: Provider, schema: str, at_least: int) -> Any:
    """The table's statistics once the server reports the dead rows (backends flush their
    counters about once a second: wait for it, up to a bound)."""
    for _ in range(300):
        stats = await _table_stats(provider, schema)
        if stats["n_dead_tup"] >= at_least:
            return stats
        await asyncio.sleep(0.1)
    raise AssertionError(f"dead rows never reported: {stats}")


@pytest.mark.parametrize("per_transaction", [False, True], ids=["session", "per-transaction"])
async def test_maintain_vacuums_dead_rows_away(provider: Provider, per_transaction: bool) -> None:
    _pg(provider)
    async with store_on_new_schema(provider, settings_per_transaction=per_transaction) as store:
        await store.banks.create("b")
        ids = await store.memories.retain("b", [unit(i) for i in range(300)])
        assert await store.memories.delete("b", ids[:200]) == 200
        before = await _dead_rows_reported(provider, store.schema, 200)
        report = await store.maintain()
        after = await _table_stats(provider, store.schema)
        assert after["n_dead_tup"] == 0 and before["n_dead_tup"] >= 200
        assert after["vacuum_count"] == before["vacuum_count"] + 1
        assert after["analyze_count"] == before["analyze_count"] + 1
        assert len(report.statements) == len(STORE_TABLES)
        assert all(s.startswith("VACUUM (ANALYZE) ") for s in report.statements)
        assert f'"{store.schema}"."memory_units"' in " ".join(report.statements)
        assert len(await store.memories.list("b", limit=500)) == 100  # the store goes on


async def test_maintain_reindexes_the_vector_indexes(provider: Provider) -> None:
    _pg(provider)
    async with store_on_new_schema(provider) as store:
        await store.banks.create("b")
        await store.memories.retain("b", [unit(i) for i in range(50)])
        files = (
            "SELECT c.relname, c.relfilenode FROM pg_index i JOIN pg_class c"
            " ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE a.amname = 'hnsw' AND n.nspname = $1"
        )
        conn = await asyncpg.connect(provider.url)
        try:
            before = dict(await conn.fetch(files, store.schema))
            report = await store.maintain(tables=["memory_units"], reindex=True)
            after = dict(await conn.fetch(files, store.schema))
        finally:
            await conn.close()
        assert before and set(after) == set(before)
        assert all(after[name] != before[name] for name in before)  # new index files
        reindexed = [s for s in report.statements if s.startswith("REINDEX INDEX CONCURRENTLY")]
        assert list(report.statements[: len(before)]) == reindexed and len(reindexed) == len(before)
        assert report.statements[-1] == f'VACUUM (ANALYZE) "{store.schema}"."memory_units"'


async def test_maintain_refuses_a_transaction(store: Store) -> None:
    if store.backend.name != "postgresql":
        pytest.skip("checked without a server in tests/test_oracle_maintenance.py")
    async with store.transaction():
        with pytest.raises(ConfigurationError, match="transaction"):
            await store.maintain(tables=["banks"])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timeout": 0},
        {"timeout": -1},
        {"timeout": math.nan},
        {"timeout": math.inf},
        {"timeout": True},
        {"timeout": "60"},
        {"tables": ["no_such_table"]},
        {"tables": "memory_units"},
        {"tables": []},
        {"reindex": "yes"},
    ],
    ids=str,
)
async def test_bad_maintenance_input_is_a_validation_error(
    store: Store, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError):
        await store.maintain(**kwargs)


@pytest.mark.reliability
async def test_maintain_ends_in_bounded_time_with_a_typed_error(provider: Provider) -> None:
    """A VACUUM that waits on a lock is cancelled after `timeout` (StatementTimeoutError);
    one whose backend is killed fails with ConnectionLostError; the store goes on."""
    _pg(provider)
    async with store_on_new_schema(provider) as store:
        await store.banks.create("b")
        holder = await asyncpg.connect(provider.url)
        try:
            lock = holder.transaction()
            await lock.start()
            await holder.execute(
                f'LOCK TABLE "{store.schema}".memory_units IN SHARE UPDATE EXCLUSIVE MODE'
            )
            with pytest.raises(StatementTimeoutError):
                await store.maintain(tables=["memory_units"], timeout=0.5)

            async def kill_the_vacuum() -> None:
                for _ in range(300):
                    killed = await holder.fetchval(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE query LIKE 'VACUUM (ANALYZE) %' AND pid <> pg_backend_pid()"
                        " AND datname = current_database()"
                    )
                    if killed:
                        return
                    await asyncio.sleep(0.05)

            killer = asyncio.create_task(kill_the_vacuum())
            with pytest.raises(ConnectionLostError):
                await store.maintain(tables=["memory_units"], timeout=60)
            await killer
            await lock.rollback()
        finally:
            await holder.close()
        report = await store.maintain(tables=["memory_units"])
        assert len(report.statements) == 1
        assert await store.memories.count("b") == 0
