"""Bounded failure time for bulk writes: a connection that dies while a COPY (`retain`) or
an `executemany` (`operations.submit`) is still sending its rows ends the call with
`ConnectionLostError`, and the pool slot comes back.

The server is made to stop reading mid-batch, deterministically: another session holds a
SHARE lock on the target table, so the bulk statement waits for the lock while the
client still has megabytes of rows to send (its socket fills and the driver waits to
write). The waiting session is then killed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import pytest
import sqlalchemy as sa

from repo.errors import ConnectionLostError
from repo.models import OperationIn
from repo.sql import Statement
from repo.store import Store, open_store
from tests.helpers import unit
from tests.inspection import bank_row_counts
from tests.providers import Provider
from tests.test_reliability_faults import POLL_S, POLLS, Killer, session_id

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

#: Units per retain and children per submit: far more than a socket buffer holds.
UNITS, CHILDREN = 3000, 20000
#: A call still running this long after its session was killed is hung (the bound only
#: turns a hang into a failure; nothing here measures time).
HANG_S = 120


def lock_table(name: str) -> Statement:
    return Statement(
        f"test.lock.{name}", sa.text(f"LOCK TABLE {name} IN SHARE MODE"), register=False
    )


PG_WAITS_FOR_LOCK = Statement(
    "test.waits_for_lock",
    sa.select(sa.literal_column("wait_event_type"))
    .select_from(sa.table("pg_stat_activity"))
    .where(sa.literal_column("pid") == sa.bindparam("pid", type_=sa.Integer())),
    register=False,
)


async def wait_until_blocked(killer: Killer, sid: int) -> None:
    """Until the session waits for a lock (bounded)."""
    for _ in range(POLLS):
        if killer.provider.backend == "postgresql":
            if await killer.store.backend.fetchval(PG_WAITS_FOR_LOCK, {"pid": sid}) == "Lock":
                return
        else:
            async with killer._oracle_admin() as cur:
                await cur.execute("SELECT event FROM v$session WHERE sid = :sid", sid=sid)
                row = await cur.fetchone()
                if row is not None and str(row[0]).startswith("enq: TM"):
                    return
        await asyncio.sleep(POLL_S)
    raise AssertionError(f"session {sid} never waited for the table lock")


@contextlib.asynccontextmanager
async def one_connection_store(store: Store) -> AsyncIterator[Store]:
    """A store with a single pooled connection: a slot that is not given back stalls it."""
    async with open_store(
        store.url, schema=store.schema, run_migrations=False, min_size=1, max_size=1
    ) as s:
        yield s


async def killed_mid_batch(
    locker: Store, victim: Store, killer: Killer, table: str, call: Coroutine[Any, Any, object]
) -> BaseException | None:
    """Hold a lock on `table` until `call` waits for it, kill `call`'s session, and return
    how `call` ended (None: it returned)."""
    sid = await session_id(victim)
    async with locker.transaction():
        await locker.backend.execute(lock_table(table))
        task = asyncio.ensure_future(call)
        try:
            await wait_until_blocked(killer, sid)
            await killer.kill(sid)
            done, _ = await asyncio.wait({task}, timeout=HANG_S)
        finally:
            if not task.done():
                task.cancel()
    assert done, f"the bulk write on {table} still hangs after its session was killed"
    return task.exception()


async def test_bulk_writes_end_when_their_connection_dies(
    fresh_store: Store, provider: Provider
) -> None:
    """Ten bulk writes (COPY and executemany) killed mid-batch each raise
    ConnectionLostError, write nothing, and give their pool slot back."""
    killer = Killer(provider, fresh_store)
    bank = "bulk"
    await fresh_store.banks.create(bank)
    units = [unit(i) for i in range(UNITS)]
    children = tuple(OperationIn("child", {"i": i}) for i in range(CHILDREN))
    async with one_connection_store(fresh_store) as victim:
        # The insert statement is prepared (cached) on the connection first, so the big
        # submit sends its rows without waiting for a prepare round trip.
        await victim.operations.submit(bank, OperationIn("warm-up"))
        before = await bank_row_counts(fresh_store, bank)
        for i in range(10):
            call: Coroutine[Any, Any, object]
            if i % 2 == 0:
                call = victim.memories.retain(bank, units)
                table = "memory_units"
            else:
                call = victim.operations.submit(bank, OperationIn("parent", children=children))
                table = "async_operations"
            error = await killed_mid_batch(fresh_store, victim, killer, table, call)
            assert isinstance(error, ConnectionLostError), repr(error)
            # The single slot came back: the next call gets a (fresh) connection.
            assert await victim.memories.count(bank) == 0
            await victim.operations.submit(bank, OperationIn("warm-up"))
            before["async_operations"] += 1
            before["bank_stat_deltas"] += 1  # the operation's counter row
        assert await bank_row_counts(fresh_store, bank) == before
        [uid] = await victim.memories.retain(bank, [unit(1)])
        assert [r["id"] for r in await victim.memories.list(bank)] == [uid]
