"""`Backend.one_connection()`: several calls outside a transaction on one pooled
connection. The combined recall runs all its reads inside one, so it acquires one
connection (and resets one on release) instead of one per statement."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa

from repo.backends.postgres import PostgresBackend, init_connection
from repo.errors import ConflictError
from repo.models import RecallQuery
from repo.sql import Statement
from repo.store import Store
from tests.helpers import embedding, unit
from tests.providers import Provider

pytestmark = pytest.mark.integration

BACKEND_PID = Statement("test.backend_pid", sa.select(sa.func.pg_backend_pid()), register=False)
TERMINATE = Statement(
    "test.terminate_pid",
    sa.select(sa.func.pg_terminate_backend(sa.bindparam("pid", type_=sa.Integer()))),
    register=False,
)


class Counting:
    """Counts the pool's acquisitions (asyncpg calls `setup` on every acquire)."""

    def __init__(self) -> None:
        self.acquired = 0

    async def setup(self, conn: Any) -> None:
        self.acquired += 1


@pytest.fixture
async def counted(store: Store, provider: Provider) -> AsyncIterator[tuple[Store, Counting]]:
    """The shared store's schema behind a PostgreSQL pool that counts acquisitions."""
    if store.backend.name != "postgresql":
        pytest.skip("asyncpg pool acquisitions are a PostgreSQL backend matter")
    counting = Counting()
    pool = await asyncpg.create_pool(
        provider.url,
        min_size=1,
        max_size=3,
        init=init_connection,
        setup=counting.setup,
        server_settings={"search_path": f'"{store.schema}", public'},
    )
    try:
        yield Store(PostgresBackend(pool, store.schema), provider.url, dim=store.dim), counting
    finally:
        await pool.close()


async def test_a_combined_recall_acquires_one_connection(
    counted: tuple[Store, Counting], bank: str
) -> None:
    store, counting = counted
    await store.memories.retain(bank, [unit(i, entities=["Ann"]) for i in range(12)])
    counting.acquired = 0
    query = RecallQuery(embedding=embedding(1), text="memory", k_semantic=6, k_text=2, seeds=2)
    result = await store.recall.recall(bank, query)
    # arms, exact searches for the short arms, expansion and entities: five statements or
    # more, one acquisition.
    assert result.semantic["world"] and result.graph and result.entities
    assert counting.acquired == 1
    counting.acquired = 0
    await store.recall.semantic(bank, embedding(1), fact_type="world", k=3)
    await store.recall.fulltext(bank, "memory", k=3)
    assert counting.acquired == 2  # single reads still take one each


async def test_calls_in_one_connection_share_it_and_its_transactions_commit(
    counted: tuple[Store, Counting], bank: str
) -> None:
    store, counting = counted
    counting.acquired = 0
    async with store.backend.one_connection():
        pids = {await store.backend.fetchval(BACKEND_PID) for _ in range(3)}
        async with store.transaction():
            (kept,) = await store.memories.retain(bank, [unit(1)])
            pids.add(await store.backend.fetchval(BACKEND_PID))
        with pytest.raises(ConflictError):
            async with store.transaction():
                await store.memories.retain(bank, [unit(2)])
                await store.memories.retain(bank, [unit(3, id=kept)])  # taken: rolls back
        async with store.backend.one_connection():  # nested: the same connection
            pids.add(await store.backend.fetchval(BACKEND_PID))
    assert len(pids) == 1
    assert counting.acquired == 1
    assert await store.memories.count(bank) == 1


async def test_a_read_whose_held_connection_died_runs_on_a_fresh_one(
    counted: tuple[Store, Counting], bank: str, store: Store
) -> None:
    held_store, _ = counted
    await held_store.memories.retain(bank, [unit(i) for i in range(3)])
    async with held_store.backend.one_connection():
        pid = await held_store.backend.fetchval(BACKEND_PID)
        assert await store.backend.fetchval(TERMINATE, {"pid": pid})
        rows = await held_store.recall.semantic(bank, embedding(1), fact_type="world", k=2)
        assert rows  # retried once on a fresh connection ...
        after = await held_store.backend.fetchval(BACKEND_PID)
        assert after != pid
        assert await held_store.backend.fetchval(BACKEND_PID) == after  # ... kept after
    assert await held_store.memories.count(bank) == 3


async def test_one_connection_works_on_every_backend(store: Store, bank: str) -> None:
    await store.memories.retain(bank, [unit(i) for i in range(4)])
    async with store.backend.one_connection():
        result = await store.recall.recall(bank, RecallQuery(embedding=embedding(2), text="topic2"))
        async with store.transaction():
            await store.memories.retain(bank, [unit(9)])
        assert await store.memories.count(bank) == 5
    assert result.unit_ids()


async def test_a_traced_store_still_holds_one_connection_per_recall(
    counted: tuple[Store, Counting], bank: str
) -> None:
    from repo.telemetry import InstrumentedBackend

    store, counting = counted
    traced = Store(InstrumentedBackend(store.backend), store.url, dim=store.dim)
    await traced.memories.retain(bank, [unit(i, entities=["Ann"]) for i in range(12)])
    counting.acquired = 0
    query = RecallQuery(embedding=embedding(1), text="memory", k_semantic=6, k_text=2, seeds=2)
    result = await traced.recall.recall(bank, query)
    assert result.graph and result.entities
    assert counting.acquired == 1
