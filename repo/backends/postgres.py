"""PostgreSQL through asyncpg. Rows are `asyncpg.Record`, returned untouched.

Session setup rides on the connection's startup packet (no extra round trip):
`search_path` of the tenant schema alone (no table can resolve to another schema),
pgvector's iterative HNSW scans (so filtered vector searches still return k rows) and
the statement timeout. For another tenant on
the same pool, an application's pool or a transaction pooler the same settings are
applied per statement or per transaction instead (`repo.backends.pg_session`).
Transactions and savepoints are plain SQL (`BEGIN` carries the settings when needed), so
they also nest inside a transaction the application opened (`using`). Codecs for
`vector` (as `array.array('f')`) and `jsonb` are registered once per connection.

Lost connections (server restart, terminated backend): the first error that shows a
connection died expires every pooled connection, so each is replaced on its next use.
What is safe to repeat is retried once on a fresh connection: a SELECT outside a
transaction, and the BEGIN of a transaction (nothing has run yet). A write outside a
transaction is never retried (the server may have applied it): it may raise
`ConnectionLostError` once, and the next call gets a fresh connection. Inside a
transaction nothing is retried: it raises `ConnectionLostError`, and the server rolls
it back. A bulk write (COPY, executemany) ends as soon as its connection dies, even
while the driver waits to send more rows. See docs/guarantees.md.

`one_connection()` holds one pooled connection for a block of calls outside a
transaction (the combined recall's reads): one acquisition and one reset query instead
of one per statement. A read whose held connection died is retried once on a fresh
connection, which the block then keeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import struct
import sys
from array import array
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any, NoReturn, cast

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from repo.backends.base import EMPTY, Backend, Capabilities, PoolStats, validate_schema_name
from repo.backends.pg_routing import Replicas, fallback_warning, replica_safe
from repo.backends.pg_session import (
    CODECS,
    Apply,
    begin_sql,
    set_sql,
    setting_name,
    store_settings,
)
from repo.connecting import DEFAULT_CONNECT_TIMEOUT, connect_failure, validate_connect_timeout
from repo.errors import (
    ConfigurationError,
    ConflictError,
    ConnectionLostError,
    DatabaseError,
    DeadlockError,
    MemrepoError,
    StatementTimeoutError,
    ValidationError,
)
from repo.rows import Row
from repo.sql.cache import Statement
from repo.sql.constructs import PGVECTOR_SCHEMA
from repo.urls import DatabaseURL
from repo.validation import JsonObject

DIALECT = PGDialect_asyncpg()  # type: ignore[no-untyped-call]
_LITTLE_ENDIAN = sys.byteorder == "little"
_VECTOR_HEADER = struct.Struct(">HH")


def encode_vector(value: Sequence[float]) -> bytes:
    """pgvector's binary form: dimension, unused, then big-endian float32s."""
    arr = array("f", value)
    if _LITTLE_ENDIAN:
        arr.byteswap()
    return _VECTOR_HEADER.pack(len(arr), 0) + arr.tobytes()


def decode_vector(data: bytes) -> array[float]:
    """The inverse of `encode_vector`: an `array('f')`, like Oracle's VECTOR fetch."""
    arr = array("f")
    arr.frombytes(memoryview(data)[4:])
    if _LITTLE_ENDIAN:
        arr.byteswap()
    return arr


def encode_jsonb(value: Any) -> bytes:
    """jsonb's binary form: version 1, then the JSON text (a `JsonObject` brings its own,
    serialised once by validation)."""
    if type(value) is JsonObject:
        return b"\x01" + value.utf8
    return b"\x01" + json.dumps(value, separators=(",", ":")).encode()


_JSON_DECODER = json.JSONDecoder()


def decode_jsonb(data: bytes) -> Any:
    """The inverse of `encode_jsonb`. PostgreSQL's jsonb text has no surrounding whitespace
    or trailing data, so `raw_decode` of the str is enough: it skips `json.loads`'s
    encoding detection and whitespace checks, which cost more than the parse (metadata is
    decoded on every unit row read)."""
    return _JSON_DECODER.raw_decode(data[1:].decode())[0]


async def _init_connection(conn: asyncpg.Connection) -> None:
    try:
        await conn.set_type_codec(
            "vector",
            schema=PGVECTOR_SCHEMA,
            encoder=encode_vector,
            decoder=decode_vector,
            format="binary",
        )
    except ValueError:  # asyncpg: "unknown type: public.vector"
        raise ConfigurationError(
            f"the pgvector extension is not installed in schema {PGVECTOR_SCHEMA!r} of this"
            f" database: run migrations (open_store(..., run_migrations=True)), or"
            f" CREATE EXTENSION vector SCHEMA {PGVECTOR_SCHEMA} as a database owner"
            f" (ALTER EXTENSION vector SET SCHEMA {PGVECTOR_SCHEMA} if it is elsewhere)"
        ) from None
    await conn.set_type_codec(
        "jsonb", schema="pg_catalog", encoder=encode_jsonb, decoder=decode_jsonb, format="binary"
    )


def translate_error(exc: BaseException) -> NoReturn:
    """Raise the memrepo error for a driver error (the original is chained)."""
    if isinstance(exc, asyncpg.QueryCanceledError):
        raise StatementTimeoutError(str(exc)) from exc
    if isinstance(exc, asyncpg.DeadlockDetectedError | asyncpg.SerializationError):
        raise DeadlockError(str(exc)) from exc  # 40P01, 40001: retryable
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        raise ConflictError(str(exc)) from exc
    if isinstance(exc, asyncpg.DataError):
        raise ValidationError("value", str(exc)) from exc
    if isinstance(
        exc,
        asyncpg.ConnectionDoesNotExistError
        | asyncpg.AdminShutdownError
        | asyncpg.CrashShutdownError
        | asyncpg.CannotConnectNowError
        | asyncpg.InterfaceError
        | ConnectionError
        | OSError,
    ):
        raise ConnectionLostError(str(exc)) from exc
    if isinstance(exc, asyncpg.InternalClientError):
        # "cannot switch to state ...": the protocol met a server message it did not
        # expect (the FATAL of a terminated session); the connection is unusable.
        raise ConnectionLostError(f"connection broken: {exc}") from exc
    if isinstance(exc, asyncpg.PostgresError):
        raise DatabaseError(str(exc)) from exc
    raise exc


_DRIVER_ERRORS = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
)

#: Errors that show an established connection died: the server closed it (restart,
#: `pg_terminate_backend`, crash) or the socket broke.
_LOST = (
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    ConnectionResetError,
    ConnectionAbortedError,
    BrokenPipeError,
)

#: Errors after which a connection cannot be trusted and work that cannot have run is
#: retried on a fresh one: the above, and a protocol left in a broken state by a server
#: message it did not expect (e.g. the FATAL a terminated session sends while idle).
_RETRY = (*_LOST, asyncpg.InternalClientError)


def _is_closed(conn: Any) -> bool:
    """Whether a pooled connection is closed. The pool detaches the proxy of a connection
    that closed under it, and the proxy then raises on every call."""
    try:
        return bool(conn.is_closed())
    except asyncpg.InterfaceError:
        return True


@contextlib.asynccontextmanager
async def _ends_when_lost(conn: Any) -> AsyncIterator[None]:
    """Raise `ConnectionDoesNotExistError` as soon as `conn` dies, even while the driver waits.

    asyncpg's COPY and `executemany` writers wait for the transport to accept more data
    (flow control) while the server is not reading. If the connection dies then, nothing
    wakes them: the protocol fails the pending result but leaves its write gate closed,
    and the call never returns (asyncpg 0.32; `timeout=` does not bound that wait in COPY).
    A termination listener ends the wait by expiring a timeout around the call, which
    asyncpg handles as a cancellation (it abandons the write and cleans up).
    """
    loop = asyncio.get_running_loop()
    lost = False
    active = True
    try:
        async with asyncio.timeout(None) as deadline:

            def on_lost(_conn: Any) -> None:
                nonlocal lost
                if active and not lost:
                    lost = True
                    deadline.reschedule(loop.time())

            conn.add_termination_listener(on_lost)
            try:
                yield
            finally:
                active = False
                with contextlib.suppress(asyncpg.InterfaceError):
                    conn.remove_termination_listener(on_lost)
    except TimeoutError:
        if not lost:
            raise
        raise asyncpg.ConnectionDoesNotExistError(
            "connection was closed in the middle of a bulk write"
        ) from None


def _is_concurrent_use(exc: BaseException) -> bool:
    """asyncpg refusing a second operation on a busy connection (before sending it: the
    running one and the connection are unaffected)."""
    return isinstance(exc, asyncpg.InterfaceError) and "another operation is in progress" in str(
        exc
    )


def _is_select(stmt: Statement) -> bool:
    """A read, safe to run again (SELECT, UNION, also FOR UPDATE: its locks die with it)."""
    return bool(getattr(stmt.stmt, "is_select", False))


def _rowcount(status: str) -> int:
    """Affected rows from a command tag such as `UPDATE 3` or `INSERT 0 3`."""
    tail = status.rpartition(" ")[2]
    return int(tail) if tail.isdigit() else 0


class _SqlTransaction:
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


def _swap_settings_sql(names: Sequence[str]) -> str:
    """One query that returns the current values of `names` and sets new ones ($1...) for
    the rest of the transaction (the select list is evaluated left to right)."""
    names = [setting_name(n) for n in names]
    old = ", ".join(f"current_setting('{n}', true) AS c{i}" for i, n in enumerate(names))
    new = ", ".join(f"set_config('{n}', ${i + 1}, true)" for i, n in enumerate(names))
    return f"SELECT {old}, {new}"


class PostgresBackend(Backend):
    """An asyncpg pool serving one tenant schema."""

    name = "postgresql"
    dialect = DIALECT
    capabilities = Capabilities(uses_observation_sources_table=False, has_copy=True)

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
        applied (repo.backends.pg_session); `foreign`: the pool's connections were not
        created by memrepo (codecs are registered on first use); `owns_pool`: `close()`
        closes the pool. `replicas`: where reads outside a transaction go."""
        self._pool = pool
        self._replicas = replicas or Replicas([])
        #: The replica `one_connection()` holds a connection on (None: the primary).
        self._reader: ContextVar[PostgresBackend | None] = ContextVar(
            f"memrepo_pg_reader_{id(self)}", default=None
        )
        self.schema = validate_schema_name(schema)
        self._settings = dict(settings or store_settings(schema))
        self._apply = apply
        self._foreign = foreign
        self._owns_pool = owns_pool
        self._begin_sql = begin_sql(self._settings, apply)
        self._session_sql = set_sql(self._settings, local=False)
        self._savepoints = itertools.count(1)
        self._conn: ContextVar[Any] = ContextVar(f"memrepo_pg_conn_{id(self)}", default=None)
        #: The connection held by `one_connection()` (a one-item list, so a dead one can be
        #: swapped for a fresh one inside the block).
        self._held: ContextVar[list[Any] | None] = ContextVar(
            f"memrepo_pg_held_{id(self)}", default=None
        )

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        schema: str = "public",
        min_size: int = 1,
        max_size: int = 10,
        statement_timeout_ms: int | None = None,
        server_settings: Mapping[str, str] | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        settings_per_transaction: bool = False,
        statement_cache_size: int | None = None,
    ) -> PostgresBackend:
        """Open a pool on `url` (`postgresql://...`) with `schema` first on the search path.

        `settings_per_transaction`: apply the settings inside every transaction instead of
        at connect (for PgBouncer in transaction mode); `statement_cache_size=0` turns off
        asyncpg's named prepared statements (PgBouncer before 1.21, or without
        `max_prepared_statements`)."""
        settings = store_settings(schema, statement_timeout_ms)
        settings.update(server_settings or {})
        timeout = validate_connect_timeout(connect_timeout)
        options: dict[str, Any] = {}
        if statement_cache_size is not None:
            options["statement_cache_size"] = statement_cache_size
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=min_size,
                max_size=max_size,
                init=_init_connection,
                server_settings=None if settings_per_transaction else settings,
                timeout=timeout,  # each new connection's connect timeout
                **options,
            )
        except Exception as exc:
            # Wrong password, unknown database, refused, no answer, no pgvector...
            raise connect_failure(exc, DatabaseURL.parse(url), timeout) from exc
        apply = Apply.TRANSACTION if settings_per_transaction else Apply.STARTUP
        return cls(pool, schema, settings=settings, apply=apply)

    @classmethod
    def from_pool(
        cls,
        pool: asyncpg.Pool,
        *,
        schema: str = "public",
        statement_timeout_ms: int | None = None,
        settings_per_transaction: bool = False,
    ) -> PostgresBackend:
        """A backend on a pool the application created (and closes): memrepo's codecs are
        registered on each connection the first time memrepo uses it, the settings are
        applied per statement or per transaction, and `close()` leaves the pool open."""
        apply = Apply.TRANSACTION if settings_per_transaction else Apply.SESSION
        settings = store_settings(schema, statement_timeout_ms)
        return cls(pool, schema, settings=settings, apply=apply, foreign=True, owns_pool=False)

    def for_schema(self, schema: str) -> PostgresBackend:
        """The same pool serving another tenant schema (statements are not compiled again:
        the SQL never names the schema)."""
        settings = {**self._settings, **store_settings(schema)}
        apply = Apply.TRANSACTION if self._apply is Apply.TRANSACTION else Apply.SESSION
        return PostgresBackend(
            self._pool, schema, settings=settings, apply=apply, foreign=self._foreign,
            owns_pool=False, replicas=self._replicas.map(lambda r: r.for_schema(schema)),
        )  # fmt: skip

    def attach_replicas(self, replicas: Sequence[PostgresBackend]) -> None:
        """Send reads outside transactions to `replicas` (in turn) from now on."""
        self._replicas = Replicas(replicas)

    async def _prepare(self, conn: Any, settings_sql: str | None) -> None:
        """Make a connection ready: codecs on one memrepo did not create, then settings."""
        if self._foreign and conn not in CODECS:
            await _init_connection(conn)
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
            row = await conn.fetchrow(_swap_settings_sql(names), *self._settings.values())
        except _DRIVER_ERRORS as exc:
            await self._fail(exc, conn)
        # Settings the session did not have before (NULL, or an extension's empty
        # placeholder) are left as set, until the transaction ends.
        previous = {n: row[i] for i, n in enumerate(names) if row[i]}
        token = self._conn.set(conn)
        try:
            yield
        finally:
            self._conn.reset(token)
        if previous and not _is_closed(conn) and conn.is_in_transaction():
            try:
                await conn.fetchrow(_swap_settings_sql(list(previous)), *previous.values())
            except _DRIVER_ERRORS as exc:
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
        if conn is not None and _is_concurrent_use(exc):
            raise ConfigurationError(
                "two calls ran at once on one connection: inside store.transaction() (and"
                " one_connection()) every call shares the transaction's single connection,"
                " so await them one after another instead of asyncio.gather / create_task;"
                " run concurrent calls outside the transaction (each gets its own connection)"
            ) from exc
        closed = conn is not None and _is_closed(conn)
        if closed or isinstance(exc, _RETRY):
            await self._pool.expire_connections()
        if closed and isinstance(exc, _DRIVER_ERRORS):
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

    def _runner(self) -> Any:
        """What runs a statement: the current connection, else the pool (one acquisition
        per statement)."""
        conn = self._current()
        return self._pool if conn is None else conn

    async def _read(self, method: str, stmt: Statement, params: Mapping[str, Any]) -> Any:
        """`fetch`/`fetchrow`/`fetchval`: outside a transaction, a plain SELECT goes to a
        replica if there is one (to the primary, with a warning, when it fails)."""
        if self._replicas and self._conn.get() is None and replica_safe(stmt):
            replica = self._reader.get() or self._replicas.next()
            if replica is self:  # one_connection() fell back to the primary
                return await self._read_here(method, stmt, params)
            return await Replicas.read(
                replica,
                lambda r: r._read(method, stmt, params),
                lambda: self._read_here(method, stmt, params),
                stmt.name,
            )
        return await self._read_here(method, stmt, params)

    async def _read_here(self, method: str, stmt: Statement, params: Mapping[str, Any]) -> Any:
        """A read on this backend's pool: a SELECT outside a transaction whose connection
        turns out dead is run once more on a fresh one."""
        c = stmt.compiled(DIALECT)
        args = c.args(params)
        conn = self._conn.get()
        held = self._held.get() if conn is None else None
        if conn is None and held is None and self._apply is not Apply.STARTUP:
            return await self._scoped(lambda cn: getattr(cn, method)(c.sql, *args), stmt)
        try:
            return await getattr(self._runner(), method)(c.sql, *args)
        except _DRIVER_ERRORS as exc:
            used = conn if held is None else held[0]
            dead = isinstance(exc, _RETRY) or (held is not None and _is_closed(held[0]))
            if conn is not None or not dead or not _is_select(stmt):
                await self._fail(exc, used)
            await self._pool.expire_connections()
        if held is not None:
            await self._replace_held(held)
        try:
            return await getattr(self._runner(), method)(c.sql, *args)
        except _DRIVER_ERRORS as exc:
            await self._fail(exc, None if held is None else held[0])

    async def fetch(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> list[Row]:
        # asyncpg.Record satisfies Row natively; the stubs type its __getitem__ narrowly.
        return cast("list[Row]", await self._read("fetch", stmt, params))

    async def fetchrow(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> Row | None:
        return cast("Row | None", await self._read("fetchrow", stmt, params))

    async def fetchval(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> Any:
        return await self._read("fetchval", stmt, params)

    async def execute(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> int:
        c = stmt.compiled(DIALECT)
        args = c.args(params)
        conn = self._current()
        if conn is None and self._apply is not Apply.STARTUP:
            return _rowcount(await self._scoped(lambda cn: cn.execute(c.sql, *args), stmt))
        try:
            status = await self._runner().execute(c.sql, *args)
        except _DRIVER_ERRORS as exc:
            await self._fail(exc, conn)
        return _rowcount(status)

    async def executemany(self, stmt: Statement, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        c = stmt.compiled(DIALECT)
        args = [c.args(r) for r in rows]
        # asyncpg runs executemany atomically (an implicit transaction when none is open).
        await self._bulk(lambda conn: conn.executemany(c.sql, args))

    async def bulk_insert(
        self, table: sa.Table, columns: Sequence[str], records: Sequence[Sequence[Any]]
    ) -> None:
        if not records:
            return
        await self._bulk(
            lambda conn: conn.copy_records_to_table(
                table.name, records=records, columns=list(columns), schema_name=self.schema
            )
        )

    async def _bulk(self, call: Callable[[Any], Awaitable[Any]]) -> None:
        """Run a bulk write (COPY, executemany) that ends when its connection dies."""
        async with self._connection() as conn:
            try:
                async with _ends_when_lost(conn):
                    await call(conn)
            except _DRIVER_ERRORS as exc:
                await self._fail(exc, conn)

    async def fetch_locked(
        self, stmt: Statement, params: Mapping[str, Any], limit: int
    ) -> list[Row]:
        # PostgreSQL accepts LIMIT with FOR UPDATE SKIP LOCKED: one statement.
        return await self.fetch(stmt, {**params, "limit": limit})

    async def _scoped(self, call: Callable[[Any], Awaitable[Any]], stmt: Statement) -> Any:
        """Run one statement outside a transaction on a connection that lacks the
        settings: in a transaction that sets them (TRANSACTION), or after a `SET` (SESSION;
        a SELECT whose connection turns out dead runs once more on a fresh one)."""
        if self._apply is Apply.TRANSACTION:
            async with self.transaction():
                conn = self._conn.get()
                try:
                    return await call(conn)
                except _DRIVER_ERRORS as exc:
                    await self._fail(exc, conn)
        for attempt in (1, 2):
            conn = None
            try:
                async with self._pool.acquire() as conn:
                    await self._prepare(conn, self._session_sql)
                    return await call(conn)
            except _DRIVER_ERRORS as exc:
                dead = isinstance(exc, _RETRY) or (conn is not None and _is_closed(conn))
                if attempt == 2 or not dead or not _is_select(stmt):
                    await self._fail(exc, conn)
                await self._pool.expire_connections()
        raise AssertionError("unreachable")  # pragma: no cover

    @contextlib.asynccontextmanager
    async def one_connection(self) -> AsyncIterator[None]:
        if self._conn.get() is not None or self._held.get() is not None:
            yield  # already on one connection
            return
        if self._replicas and self._reader.get() is None:
            # The reads go to one replica: hold a connection there, not here.
            reader: PostgresBackend = self._replicas.next()
            async with contextlib.AsyncExitStack() as stack:
                try:
                    await stack.enter_async_context(reader.one_connection())
                except MemrepoError as exc:
                    fallback_warning(exc, "the block's reads")
                    reader = self  # the primary, on a connection held here
                    await stack.enter_async_context(self._one_connection_here())
                token = self._reader.set(reader)
                try:
                    yield
                finally:
                    self._reader.reset(token)
            return
        async with self._one_connection_here():
            yield

    @contextlib.asynccontextmanager
    async def _one_connection_here(self) -> AsyncIterator[None]:
        """`one_connection()` on this backend's own pool."""
        if self._apply is Apply.TRANSACTION:
            # Behind a transaction pooler a connection is ours only inside a transaction.
            async with self.transaction():
                yield
            return
        try:
            held = [await self._acquire()]
        except _DRIVER_ERRORS as exc:
            await self._fail(exc)
        token = self._held.set(held)
        try:
            yield
        finally:
            self._held.reset(token)
            # A failed release is the pool's to clean up (it discards the connection).
            with contextlib.suppress(*_DRIVER_ERRORS):
                await self._pool.release(held[0])

    async def _replace_held(self, held: list[Any]) -> None:
        """Swap the dead connection held by `one_connection()` for a fresh one."""
        with contextlib.suppress(*_DRIVER_ERRORS):
            await self._pool.release(held[0])
        try:
            held[0] = await self._acquire()
        except _DRIVER_ERRORS as exc:
            await self._fail(exc)

    async def _acquire(self) -> Any:
        """A pooled connection ready for statements outside a transaction (settings set
        unless the pool's connections carry them)."""
        conn = await self._pool.acquire()
        try:
            await self._prepare(conn, None if self._apply is Apply.STARTUP else self._session_sql)
        except BaseException:
            with contextlib.suppress(*_DRIVER_ERRORS):
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
        except _DRIVER_ERRORS as exc:
            await self._fail(exc)
        try:
            yield conn
        except _DRIVER_ERRORS as exc:
            await self._fail(exc, conn)
        finally:
            # A failed release is the pool's to clean up (it discards the connection).
            with contextlib.suppress(*_DRIVER_ERRORS):
                await self._pool.release(conn)

    async def _begin(self) -> tuple[Any, Any]:
        """A pooled connection with a transaction begun on it. If the connection turns out
        dead (nothing has run yet), once more on a fresh one."""
        for attempt in (1, 2):
            conn = None
            try:
                conn = await self._pool.acquire()
                await self._prepare(conn, None)
                tx = _SqlTransaction(conn, self._begin_sql, "COMMIT", "ROLLBACK")
                await tx.start()
                return conn, tx
            except BaseException as exc:
                if conn is not None:
                    with contextlib.suppress(*_DRIVER_ERRORS):
                        await self._pool.release(conn)
                if not isinstance(exc, _DRIVER_ERRORS):
                    raise
                dead = isinstance(exc, _RETRY) or (conn is not None and _is_closed(conn))
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
                savepoint = _SqlTransaction(
                    outer, f"SAVEPOINT {name}", f"RELEASE SAVEPOINT {name}",
                    f"ROLLBACK TO SAVEPOINT {name}",
                )  # fmt: skip
                await savepoint.start()
            except _DRIVER_ERRORS as exc:
                await self._fail(exc, outer)
            try:
                yield
            except BaseException:
                try:
                    await savepoint.rollback()
                except _DRIVER_ERRORS as exc:
                    if not _is_closed(outer):
                        await self._fail(exc, outer)
                raise
            try:
                await savepoint.commit()
            except _DRIVER_ERRORS as exc:
                await self._fail(exc, outer)
            return
        held = self._held.get()
        if held is None:
            conn, tx = await self._begin()
        else:  # on the connection `one_connection()` holds, which it releases
            conn = held[0]
            try:
                tx = _SqlTransaction(conn, self._begin_sql, "COMMIT", "ROLLBACK")
                await tx.start()
            except _DRIVER_ERRORS as exc:
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
            except _DRIVER_ERRORS as exc:
                await self._fail(exc, conn)
            ok = True
        finally:
            self._conn.reset(token)
            if held is None:
                try:
                    await self._pool.release(conn)
                except _DRIVER_ERRORS as exc:
                    if ok:
                        await self._fail(exc)

    async def vector_dimension(self, table: str, column: str) -> int | None:
        # pgvector keeps a vector column's dimension as its type modifier (-1: any).
        sql = (
            "SELECT atttypmod FROM pg_attribute WHERE NOT attisdropped AND attname = $3"
            " AND attrelid = to_regclass(quote_ident($1) || '.' || quote_ident($2))"
        )
        async with self._connection() as conn:
            try:
                typmod = await conn.fetchval(sql, self.schema, table, column)
            except _DRIVER_ERRORS as exc:
                await self._fail(exc, conn)
        return int(typmod) if typmod is not None and typmod > 0 else None

    def pool_stats(self) -> PoolStats:
        size = self._pool.get_size()
        # asyncpg keeps waiting acquirers on its holder queue (asyncio.Queue getters).
        getters = getattr(getattr(self._pool, "_queue", None), "_getters", None)
        waiting = None if getters is None else sum(1 for f in getters if not f.done())
        return PoolStats(
            size=size,
            in_use=size - self._pool.get_idle_size(),
            max_size=self._pool.get_max_size(),
            waiting=waiting,
        )

    def fulltext_query(self, text: str) -> str:
        # websearch_to_tsquery accepts any text without syntax errors.
        return text

    async def close(self) -> None:
        if self._owns_pool:
            for replica in self._replicas.backends:
                await replica.close()
            await self._pool.close()
