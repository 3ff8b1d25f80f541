"""The connection a PostgreSQL call runs on, transactions, and the retry of what cannot have run.

Session setup rides on the connection's startup packet (no extra round trip):
`search_path` of the tenant schema alone (no table can resolve to another schema),
pgvector's iterative HNSW scans (so filtered vector searches still return k rows) and
the statement timeout. For another tenant on the same pool, an application's pool or a
transaction pooler they are applied per statement or per transaction instead (`session`).
Transactions and savepoints are plain SQL (`BEGIN` carries the settings when needed), so
they also nest inside a transaction the application opened (`using`).

Lost connections (server restart, terminated backend): the first error that shows a
connection died expires every pooled connection, so each is replaced on its next use.
What is safe to repeat is retried once on a fresh connection: a SELECT outside a
transaction, and the BEGIN of a transaction (nothing has run yet). A write outside a
transaction is never retried (the server may have applied it): it may raise
`ConnectionLostError` once, and the next call gets a fresh connection. Inside a
transaction nothing is retried: it raises `ConnectionLostError`, and the server rolls
it back. A bulk write (COPY, executemany) ends as soon as its connection dies, even
while the driver waits to send more rows. See docs/guarantees.md.

`one_connection()`, which holds one connection for a block of calls, is in
`repo.backends.postgres.one_connection`.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any, NoReturn

import asyncpg

from repo.backends.base import Backend, validate_schema_name
from repo.backends.postgres.codecs import CODECS, init_connection
from repo.backends.postgres.errors import (
    DRIVER_ERRORS,
    RETRY,
    is_closed,
    is_concurrent_use,
    is_select,
    translate_error,
)
from repo.backends.postgres.release import CLEAN
from repo.backends.postgres.routing import Replicas
from repo.backends.postgres.session import (
    Apply,
    begin_sql,
    set_sql,
    store_settings,
    swap_settings_sql,
)
from repo.errors import ConfigurationError, ConnectionLostError
from repo.sql.cache import Statement


class SqlTransaction:
    """A transaction or savepoint opened and closed by plain SQL, so it may begin with the
    session settings in the same round trip and nest inside a transaction the application
    opened (asyncpg's own transaction objects refuse both)."""

    __slots__ = ("_begin", "_commit", "_conn", "_rollback")

    def __init__(self, conn: Any, begin: str, commit: str, rollback: str) -> None:
        self._conn, self._begin, self._commit, self._rollback = conn, begin, commit, rollback

    async def start(self) -> None:
        await self._conn.execute(self._begin)

    async def commit(self) -> None:
        status = await self._conn.execute(self._commit)
        if status == "ROLLBACK":  # COMMIT of a transaction an error had aborted
            raise asyncpg.InFailedSQLTransactionError("the transaction was aborted: rolled back")

    async def rollback(self) -> None:
        await self._conn.execute(self._rollback)


class PostgresConnections(Backend):
    """The connections of an asyncpg pool serving one tenant schema: which one a call runs
    on (the transaction's, the one `one_connection()` holds, else a pooled one),
    transactions, savepoints and `using()`."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        schema: str,
        *,
        settings: Mapping[str, str] | None = None,
        apply: Apply = Apply.STARTUP,
        foreign: bool = False,
        owns_pool: bool = True,
        replicas: Replicas | None = None,
    ) -> None:
        """A backend on `pool` for `schema`. `apply`: where the session settings are
        applied (repo.backends.postgres.session); `foreign`: the pool's connections were not
        created by memrepo (codecs are registered on first use); `owns_pool`: `close()`
        closes the pool. `replicas`: where reads outside a transaction go."""
        self._pool = pool
        self._replicas = replicas or Replicas([])
        #: The replica `one_connection()` holds a connection on (None: the primary).
        self._reader: ContextVar[PostgresConnections | None] = ContextVar(
            f"memrepo_pg_reader_{id(self)}", default=None
        )
        self.schema = validate_schema_name(schema)
        self._settings = dict(settings or store_settings(schema))
        self._apply = apply
        self._foreign = foreign
        self._owns_pool = owns_pool
        #: Whether a clean release may skip the pool's reset query (repo.backends.postgres.
        #: release): on memrepo's pools, unless statements here `SET` session settings.
        self._skip_reset = not foreign and apply is not Apply.SESSION
        self._begin_sql = begin_sql(self._settings, apply)
        self._session_sql = set_sql(self._settings, local=False)
        self._savepoints = itertools.count(1)
        self._conn: ContextVar[Any] = ContextVar(f"memrepo_pg_conn_{id(self)}", default=None)
        #: The connection held by `one_connection()` (a one-item list, so a dead one can be
        #: swapped for a fresh one inside the block).
        self._held: ContextVar[list[Any] | None] = ContextVar(
            f"memrepo_pg_held_{id(self)}", default=None
        )

    async def _prepare(self, conn: Any, settings_sql: str | None) -> None:
        """Make a connection ready: codecs on one memrepo did not create, then settings."""
        if self._foreign and conn not in CODECS:
            await init_connection(conn)
            CODECS.add(conn)
        if settings_sql:
            await conn.execute(settings_sql)

    @contextlib.asynccontextmanager
    async def using(self, conn: Any) -> AsyncIterator[None]:
        """Run the block's calls on the application's connection, inside the transaction
        the application opened on it (nested `transaction()` calls become savepoints).

        memrepo's codecs are registered on the connection once; the settings are set for
        the block and the previous values restored after it (two round trips)."""
        if self._conn.get() is not None:
            raise ConfigurationError("already inside a transaction or a using() block")
        if not conn.is_in_transaction():
            raise ConfigurationError(
                "using(conn) needs a connection inside a transaction: open one first"
            )
        names = list(self._settings)
        try:
            await self._prepare(conn, None)
            row = await conn.fetchrow(swap_settings_sql(names), *self._settings.values())
        except DRIVER_ERRORS as exc:
            await self._fail(exc, conn)
        # Settings the session did not have before (NULL, or an extension's empty
        # placeholder) are left as set, until the transaction ends.
        previous = {n: row[i] for i, n in enumerate(names) if row[i]}
        token = self._conn.set(conn)
        try:
            yield
        finally:
            self._conn.reset(token)
        if previous and not is_closed(conn) and conn.is_in_transaction():
            try:
                await conn.fetchrow(swap_settings_sql(list(previous)), *previous.values())
            except DRIVER_ERRORS as exc:
                if not isinstance(exc, asyncpg.InFailedSQLTransactionError):
                    await self._fail(exc, conn)

    @property
    def pool(self) -> asyncpg.Pool:
        """The asyncpg pool (for callers that need the raw driver)."""
        return self._pool

    async def _fail(self, exc: BaseException, conn: Any = None) -> NoReturn:
        """Raise the memrepo error for `exc` (`conn`: the connection it ran on, if known).

        After a lost connection, expire the pool's connections so each is replaced on its
        next use (after a restart all of them are dead)."""
        if conn is not None and is_concurrent_use(exc):
            raise ConfigurationError(
                "two calls ran at once on one connection: inside store.transaction() (and"
                " one_connection()) every call shares the transaction's single connection,"
                " so await them one after another instead of asyncio.gather / create_task;"
                " run concurrent calls outside the transaction (each gets its own connection)"
            ) from exc
        closed = conn is not None and is_closed(conn)
        if closed or isinstance(exc, RETRY):
            await self._pool.expire_connections()
        if closed and isinstance(exc, DRIVER_ERRORS):
            # Whatever the driver made of it (e.g. a protocol error mid-COPY), it is this.
            raise ConnectionLostError(f"connection lost: {exc}") from exc
        translate_error(exc)

    def _current(self) -> Any:
        """The transaction's connection, else the one held by `one_connection()`, or None."""
        conn = self._conn.get()
        if conn is None:
            held = self._held.get()
            return None if held is None else held[0]
        return conn

    async def _call(self, method: str, sql: str, args: Sequence[Any]) -> Any:
        """Run a statement on the current connection, else on one acquired for it alone."""
        conn = self._current()
        if conn is not None:
            return await getattr(conn, method)(sql, *args)
        conn = await self._pool.acquire()
        clean = False
        try:
            result = await getattr(conn, method)(sql, *args)
            clean = True
            return result
        finally:
            await self._release(conn, clean=clean)

    async def _release(self, conn: Any, *, clean: bool) -> None:
        """Give a connection back; `clean`: memrepo's use of it ended without an error, so
        the pool may skip its reset query (repo.backends.postgres.release)."""
        if clean and self._skip_reset and not is_closed(conn):
            CLEAN.mark(conn)
        await self._pool.release(conn)

    async def _scoped(self, call: Callable[[Any], Awaitable[Any]], stmt: Statement) -> Any:
        """Run one statement outside a transaction on a connection that lacks the
        settings: in a transaction that sets them (TRANSACTION), or after a `SET` (SESSION;
        a SELECT whose connection turns out dead runs once more on a fresh one)."""
        if self._apply is Apply.TRANSACTION:
            async with self.transaction():
                conn = self._conn.get()
                try:
                    return await call(conn)
                except DRIVER_ERRORS as exc:
                    await self._fail(exc, conn)
        for attempt in (1, 2):
            conn = None
            try:
                async with self._pool.acquire() as conn:
                    await self._prepare(conn, self._session_sql)
                    return await call(conn)
            except DRIVER_ERRORS as exc:
                dead = isinstance(exc, RETRY) or (conn is not None and is_closed(conn))
                if attempt == 2 or not dead or not is_select(stmt):
                    await self._fail(exc, conn)
                await self._pool.expire_connections()
        raise AssertionError("unreachable")  # pragma: no cover

    async def _acquire(self) -> Any:
        """A pooled connection ready for statements outside a transaction (settings set
        unless the pool's connections carry them)."""
        conn = await self._pool.acquire()
        try:
            await self._prepare(conn, None if self._apply is Apply.STARTUP else self._session_sql)
        except BaseException:
            with contextlib.suppress(*DRIVER_ERRORS):
                await self._pool.release(conn)
            raise
        return conn

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[Any]:
        conn = self._current()
        if conn is not None:
            yield conn
            return
        if self._apply is Apply.TRANSACTION:
            async with self.transaction():
                yield self._conn.get()
            return
        try:
            conn = await self._acquire()
        except DRIVER_ERRORS as exc:
            await self._fail(exc)
        clean = False
        try:
            yield conn
            clean = True
        except DRIVER_ERRORS as exc:
            await self._fail(exc, conn)
        finally:
            # A failed release is the pool's to clean up (it discards the connection).
            with contextlib.suppress(*DRIVER_ERRORS):
                await self._release(conn, clean=clean)

    async def _begin(self) -> tuple[Any, Any]:
        """A pooled connection with a transaction begun on it. If the connection turns out
        dead (nothing has run yet), once more on a fresh one."""
        for attempt in (1, 2):
            conn = None
            try:
                conn = await self._pool.acquire()
                await self._prepare(conn, None)
                tx = SqlTransaction(conn, self._begin_sql, "COMMIT", "ROLLBACK")
                await tx.start()
                return conn, tx
            except BaseException as exc:
                if conn is not None:
                    with contextlib.suppress(*DRIVER_ERRORS):
                        await self._pool.release(conn)
                if not isinstance(exc, DRIVER_ERRORS):
                    raise
                dead = isinstance(exc, RETRY) or (conn is not None and is_closed(conn))
                if attempt == 2 or not dead:
                    await self._fail(exc, conn)
                await self._pool.expire_connections()
        raise AssertionError("unreachable")  # pragma: no cover

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        outer = self._conn.get()
        if outer is not None:
            # A savepoint. Its ROLLBACK TO must not fail silently on a live connection: the
            # caller may go on with the outer transaction.
            try:
                name = f"memrepo_{next(self._savepoints)}"
                savepoint = SqlTransaction(
                    outer, f"SAVEPOINT {name}", f"RELEASE SAVEPOINT {name}",
                    f"ROLLBACK TO SAVEPOINT {name}",
                )  # fmt: skip
                await savepoint.start()
            except DRIVER_ERRORS as exc:
                await self._fail(exc, outer)
            try:
                yield
            except BaseException:
                try:
                    await savepoint.rollback()
                except DRIVER_ERRORS as exc:
                    if not is_closed(outer):
                        await self._fail(exc, outer)
                raise
            try:
                await savepoint.commit()
            except DRIVER_ERRORS as exc:
                await self._fail(exc, outer)
            return
        held = self._held.get()
        if held is None:
            conn, tx = await self._begin()
        else:  # on the connection `one_connection()` holds, which it releases
            conn = held[0]
            try:
                tx = SqlTransaction(conn, self._begin_sql, "COMMIT", "ROLLBACK")
                await tx.start()
            except DRIVER_ERRORS as exc:
                await self._fail(exc, conn)
        token = self._conn.set(conn)
        ok = False
        try:
            try:
                yield
            except BaseException:
                # The body's error is the one to raise. A failed ROLLBACK is not: on a dead
                # connection the server has rolled back already, and the pool resets (or
                # discards) the connection on release.
                with contextlib.suppress(Exception):
                    await tx.rollback()
                raise
            try:
                await tx.commit()
            except DRIVER_ERRORS as exc:
                await self._fail(exc, conn)
            ok = True
        finally:
            self._conn.reset(token)
            if held is None:
                try:
                    await self._release(conn, clean=ok)
                except DRIVER_ERRORS as exc:
                    if ok:
                        await self._fail(exc)
