"""Oracle Database 23ai through python-oracledb (thin mode, asyncio).

Session setup runs once per pooled session (the pool's `session_callback`): UTC time
zone and the tenant schema (`ALTER SESSION SET CURRENT_SCHEMA`) in one PL/SQL round trip,
the input/output type handlers, and the statement timeout as `call_timeout`.

Each verb looks up the statement's SQL for the Oracle dialect (compiled once) and its
bind plan (built once, from the compiled parameter types; see `oracle_codecs`), binds
by name and builds rows with a cursor row factory into `MappingRow` (lower-case keys).
LOBs are fetched as `str`/`bytes` (`fetch_lobs=False`).

Transactions: the outermost `transaction()` holds one pooled connection in a ContextVar
and commits or rolls back; nested ones are savepoints (Oracle has no RELEASE SAVEPOINT,
so a nested success needs no statement). Outside a transaction, single statements run
with autocommit (the commit rides on the execute round trip) and batches commit or roll
back as a whole. MERGE upserts retry the rows that hit ORA-00001, which is what a MERGE
raises when a concurrent session inserted the same key first (PostgreSQL's ON CONFLICT
handles that race itself).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NoReturn

import oracledb
import sqlalchemy as sa
from sqlalchemy.dialects.oracle.oracledb import OracleDialect_oracledb

from repo.backends.base import EMPTY, Backend, Capabilities, PoolStats, validate_schema_name
from repo.backends.oracle_batches import BatchError, executemany_chunked
from repo.backends.oracle_codecs import (
    BindPlan,
    build_bind_plan,
    column_keys,
    describe_error,
    error_class,
    input_type_handler,
    is_unique_violation,
    make_row_factory,
    output_type_handler,
    session_setup_sql,
)
from repo.backends.oracle_maintenance import maintain_vector_index
from repo.connecting import DEFAULT_CONNECT_TIMEOUT, connect_failure, validate_connect_timeout
from repo.errors import ConfigurationError, ConnectionLostError
from repo.rows import Row
from repo.sql.cache import CompiledSQL, Statement
from repo.sql.oracle_text import oracle_text_query
from repo.urls import DatabaseURL

DIALECT = OracleDialect_oracledb()  # type: ignore[no-untyped-call]

#: Minutes between python-oracledb's probes of an idle connection (dead peer detection).
ORACLE_EXPIRE_TIME_MIN = 1

#: How many times a MERGE is retried after ORA-00001 from a concurrent insert.
MERGE_RETRIES = 3

_DRIVER_ERRORS = (oracledb.Error, OSError)
#: ORA-00942 (table or view does not exist), ORA-00904 (invalid identifier).
_ORA_NO_SUCH_TABLE = 942
_ORA_INVALID_IDENTIFIER = 904


def translate_error(exc: BaseException) -> NoReturn:
    """Raise the memrepo error for a driver error (the original is chained)."""
    if isinstance(exc, oracledb.Error):
        full_code, code, message, dead = describe_error(exc)
        raise error_class(full_code, code, message, session_dead=dead)(message) from exc
    if isinstance(exc, OSError):
        raise ConnectionLostError(str(exc)) from exc
    raise exc


def _raise_batch_error(err: Any) -> NoReturn:
    """Raise the memrepo error for one `cursor.getbatcherrors()` entry."""
    message = str(getattr(err, "message", err))
    cls = error_class(str(getattr(err, "full_code", "")), int(getattr(err, "code", 0)), message)
    raise cls(message)


@dataclass(frozen=True, slots=True)
class _Tx:
    conn: Any  # oracledb.AsyncConnection
    depth: int


class OracleBackend(Backend):
    """A python-oracledb async pool bound to one tenant schema."""

    name = "oracle"
    dialect = DIALECT
    capabilities = Capabilities(uses_observation_sources_table=True, has_copy=False)

    def __init__(
        self, pool: Any, schema: str, *, foreign: bool = False, owns_pool: bool = True
    ) -> None:
        """A backend on `pool` for `schema`. `foreign`: the application created the pool
        (type handlers are set on each acquired session); `owns_pool`: `close()` closes
        the pool."""
        self._pool = pool
        self.schema = validate_schema_name(schema)
        self._foreign = foreign
        self._owns_pool = owns_pool
        self._tx: ContextVar[_Tx | None] = ContextVar(f"memrepo_oracle_tx_{id(self)}", default=None)
        self._plans: dict[CompiledSQL, BindPlan] = {}
        self._inserts: dict[tuple[str, tuple[str, ...]], Statement] = {}

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        schema: str = "public",
        min_size: int = 1,
        max_size: int = 10,
        statement_timeout_ms: int | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> OracleBackend:
        """Open a pool on `url` (`oracle://u:p@host:port/SERVICE`) for tenant `schema`.

        `public` means the connecting user's own schema; any other (validated) name is
        the Oracle user whose schema the session uses (`CURRENT_SCHEMA`). Connections
        are opened within `connect_timeout` seconds (`tcp_connect_timeout`) and probed
        every minute while idle (`expire_time`), so a dead peer is noticed.
        """
        validate_schema_name(schema)
        timeout = validate_connect_timeout(connect_timeout)
        db = DatabaseURL.parse(url)
        setup = session_setup_sql(schema)
        timeout_ms = int(statement_timeout_ms or 0)

        async def init_session(conn: Any, requested_tag: str | None) -> None:
            conn.inputtypehandler = input_type_handler
            conn.outputtypehandler = output_type_handler
            conn.autocommit = False
            with conn.cursor() as cur:
                await cur.execute(setup)
            conn.call_timeout = timeout_ms

        try:
            pool = oracledb.create_pool_async(
                **db.oracle_connect_params(),
                min=min_size,
                max=max_size,
                increment=1,
                session_callback=init_session,
                tcp_connect_timeout=timeout,
                expire_time=ORACLE_EXPIRE_TIME_MIN,
            )
        except _DRIVER_ERRORS as exc:
            raise connect_failure(exc, db, timeout) from exc
        backend = cls(pool, schema)
        try:
            # Fail now on a bad URL, password or schema, like asyncpg.create_pool does;
            # bounded also when a listener accepts and never answers.
            async with asyncio.timeout(timeout), pool.acquire():
                pass
        except BaseException as exc:
            await backend.close()
            if isinstance(exc, Exception):
                raise connect_failure(exc, db, timeout) from exc
            raise
        return backend

    @classmethod
    def from_pool(cls, pool: Any, *, schema: str = "public") -> OracleBackend:
        """A backend on a python-oracledb async pool the application created (and closes):
        memrepo's type handlers and the tenant schema are set on each session it acquires
        (attributes the driver sends with the next call: no extra round trip)."""
        return cls(pool, schema, foreign=True, owns_pool=False)

    def for_schema(self, schema: str) -> OracleBackend:
        """The same pool serving another tenant schema (the session's `current_schema` is
        set on each acquire, sent with the next call)."""
        view = OracleBackend(self._pool, schema, foreign=True, owns_pool=False)
        view._plans, view._inserts = self._plans, self._inserts  # bind plans are shared
        # The pool now serves several schemas: this backend sets its own on each acquire.
        self._foreign = True
        return view

    @property
    def pool(self) -> Any:
        """The python-oracledb pool (for callers that need the raw driver)."""
        return self._pool

    def _prepare(self, conn: Any) -> None:
        """Ready a session acquired from a pool memrepo did not set up for this schema."""
        if self._foreign:
            conn.inputtypehandler = input_type_handler
            conn.outputtypehandler = output_type_handler
            conn.current_schema = self._schema_of(conn)

    def _schema_of(self, conn: Any) -> str:
        # `public` means the connecting user's own schema; Oracle upper-cases names.
        return str(conn.username if self.schema == "public" else self.schema).upper()

    @contextlib.asynccontextmanager
    async def _acquire(self) -> AsyncIterator[Any]:
        async with self._pool.acquire() as conn:
            self._prepare(conn)
            yield conn

    @contextlib.asynccontextmanager
    async def using(self, conn: Any) -> AsyncIterator[None]:
        """Run the block's calls on the application's connection inside its transaction
        (autocommit must be off): memrepo never commits it; nested `transaction()` calls
        are savepoints. The connection's type handlers and current schema are memrepo's
        for the block and restored after it."""
        if self._tx.get() is not None:
            raise ConfigurationError("already inside a transaction or a using() block")
        if conn.autocommit:
            raise ConfigurationError("using(conn) needs autocommit off on the connection")
        saved = (conn.inputtypehandler, conn.outputtypehandler, conn.current_schema)
        conn.inputtypehandler = input_type_handler
        conn.outputtypehandler = output_type_handler
        conn.current_schema = self._schema_of(conn)
        token = self._tx.set(_Tx(conn, 1))  # depth 1: memrepo's transactions nest
        try:
            yield
        finally:
            self._tx.reset(token)
            conn.inputtypehandler, conn.outputtypehandler = saved[0], saved[1]
            conn.current_schema = saved[2] or str(conn.username).upper()

    # ----------------------------------------------------------------- plumbing

    def _plan(self, compiled: CompiledSQL) -> BindPlan:
        plan = self._plans.get(compiled)
        if plan is None:
            plan = self._plans[compiled] = build_bind_plan(compiled)
        return plan

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[tuple[Any, bool]]:
        """(connection, inside a transaction?) for one verb."""
        tx = self._tx.get()
        if tx is not None:
            yield tx.conn, True
            return
        async with self._acquire() as conn:
            yield conn, False

    async def _query(
        self, stmt: Statement, params: Mapping[str, Any], *, rows: int | None
    ) -> list[Row]:
        """Run a query; `rows` = how many rows to fetch (None: all)."""
        c = stmt.compiled(DIALECT)
        plan = self._plan(c)
        bound = plan.convert(c, params)
        try:
            async with self._connection() as (conn, in_tx):
                with conn.cursor() as cur:
                    sizes = plan.input_sizes((bound,))
                    if sizes:
                        cur.setinputsizes(**sizes)
                    if rows is not None:
                        # Fetch exactly `rows` rows in the execute round trip: with
                        # FOR UPDATE SKIP LOCKED every fetched row is locked.
                        cur.prefetchrows = rows
                        cur.arraysize = rows
                    await cur.execute(c.sql, bound, fetch_lobs=False)
                    cur.rowfactory = make_row_factory(column_keys(cur.description))
                    if rows is None:
                        result = list(await cur.fetchall())
                    else:
                        result = list(await cur.fetchmany(rows))
                if not in_tx and conn.transaction_in_progress:
                    await conn.rollback()  # e.g. FOR UPDATE outside a transaction: unlock
                return result
        except _DRIVER_ERRORS as exc:
            translate_error(exc)

    async def _execute(
        self, conn: Any, c: CompiledSQL, plan: BindPlan, bound: dict[str, Any]
    ) -> int:
        attempt = 0
        while True:
            with conn.cursor() as cur:
                sizes = plan.input_sizes((bound,))
                if sizes:
                    cur.setinputsizes(**sizes)
                try:
                    await cur.execute(c.sql, bound)
                except oracledb.Error as exc:
                    attempt += 1
                    if plan.is_merge and attempt <= MERGE_RETRIES and is_unique_violation(exc):
                        continue  # statement-level rollback: retry sees the other row
                    raise
                return int(cur.rowcount)

    async def _executemany(
        self, conn: Any, c: CompiledSQL, plan: BindPlan, rows: list[dict[str, Any]]
    ) -> None:
        # MERGEs run with batch errors, so the rows that lost a race for a new key
        # (ORA-00001) are retried alone; offsets index `pending` (see oracle_batches).
        pending = rows
        errors: list[BatchError] = []
        for _ in range(MERGE_RETRIES + 1):
            with conn.cursor() as cur:
                sizes = plan.input_sizes(pending)
                errors = await executemany_chunked(
                    cur, c.sql, pending, sizes=sizes, batcherrors=plan.is_merge
                )
            if not errors:
                return
            other = [e for e in errors if e.code != 1]
            if other:
                _raise_batch_error(other[0])
            pending = [pending[e.offset] for e in errors]
        _raise_batch_error(errors[0])

    async def _write(self, fn: Any, *, single: bool) -> Any:
        """Run `fn(conn)` in the current transaction, or atomically on its own: a single
        statement with autocommit (committed in its own round trip; a failed statement
        changes nothing), a batch with an explicit commit or rollback."""
        try:
            async with self._connection() as (conn, in_tx):
                if in_tx:
                    return await fn(conn)
                if single:
                    conn.autocommit = True
                    try:
                        return await fn(conn)
                    finally:
                        conn.autocommit = False
                try:
                    result = await fn(conn)
                except BaseException:
                    with contextlib.suppress(*_DRIVER_ERRORS):
                        await conn.rollback()
                    raise
                await conn.commit()
                return result
        except _DRIVER_ERRORS as exc:
            translate_error(exc)

    # ----------------------------------------------------------------- verbs

    async def fetch(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> list[Row]:
        return await self._query(stmt, params, rows=None)

    async def fetchrow(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> Row | None:
        rows = await self._query(stmt, params, rows=1)
        return rows[0] if rows else None

    async def fetchval(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> Any:
        row = await self.fetchrow(stmt, params)
        return None if row is None else row[0]

    async def execute(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> int:
        c = stmt.compiled(DIALECT)
        plan = self._plan(c)
        bound = plan.convert(c, params)

        async def run(conn: Any) -> int:
            return await self._execute(conn, c, plan, bound)

        return int(await self._write(run, single=True))

    async def executemany(self, stmt: Statement, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        c = stmt.compiled(DIALECT)
        plan = self._plan(c)
        bound = [plan.convert(c, r) for r in rows]

        async def run(conn: Any) -> None:
            await self._executemany(conn, c, plan, bound)

        await self._write(run, single=False)

    def _insert_statement(self, table: sa.Table, columns: tuple[str, ...]) -> Statement:
        key = (table.name, columns)
        stmt = self._inserts.get(key)
        if stmt is None:
            values = {c: sa.bindparam(c, type_=table.c[c].type) for c in columns}
            stmt = Statement(
                f"oracle.bulk_insert.{table.name}({','.join(columns)})",
                sa.insert(table).values(values),
                register=False,
            )
            self._inserts[key] = stmt
        return stmt

    async def bulk_insert(
        self, table: sa.Table, columns: Sequence[str], records: Sequence[Sequence[Any]]
    ) -> None:
        """An `executemany` of one cached INSERT per (table, columns) (no COPY on Oracle)."""
        if not records:
            return
        cols = tuple(columns)
        stmt = self._insert_statement(table, cols)
        await self.executemany(stmt, [dict(zip(cols, rec, strict=True)) for rec in records])

    async def fetch_locked(
        self, stmt: Statement, params: Mapping[str, Any], limit: int
    ) -> list[Row]:
        # ORA-02014: no FETCH FIRST with FOR UPDATE. The Oracle form of the statement has
        # no row limit; exactly `limit` rows are fetched (and so locked) from its cursor.
        return await self._query(stmt, params, rows=limit)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        outer = self._tx.get()
        if outer is not None:
            depth = outer.depth + 1
            savepoint = f"memrepo_sp{depth}"
            try:
                with outer.conn.cursor() as cur:
                    await cur.execute(f"SAVEPOINT {savepoint}")
            except _DRIVER_ERRORS as exc:
                translate_error(exc)
            token = self._tx.set(_Tx(outer.conn, depth))
            try:
                yield
            except BaseException:
                try:
                    with outer.conn.cursor() as cur:
                        await cur.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
                except _DRIVER_ERRORS as exc:
                    translate_error(exc)
                raise
            finally:
                self._tx.reset(token)
            return
        try:
            async with self._acquire() as conn:
                token = self._tx.set(_Tx(conn, 0))
                try:
                    yield
                except BaseException:
                    with contextlib.suppress(*_DRIVER_ERRORS):
                        await conn.rollback()
                    raise
                finally:
                    self._tx.reset(token)
                await conn.commit()
        except _DRIVER_ERRORS as exc:
            translate_error(exc)

    async def vector_dimension(self, table: str, column: str) -> int | None:
        # The driver describes a VECTOR column's declared dimension (None: flexible).
        table, column = validate_schema_name(table), validate_schema_name(column)
        sql = f"SELECT {column} FROM {table} WHERE 1 = 0"
        try:
            async with self._connection() as (conn, _):
                with conn.cursor() as cur:
                    await cur.execute(sql)
                    dims = cur.description[0].vector_dimensions
        except _DRIVER_ERRORS as exc:
            if describe_error(exc)[1] in (_ORA_NO_SUCH_TABLE, _ORA_INVALID_IDENTIFIER):
                return None
            translate_error(exc)
        return int(dims) if dims else None

    async def maintain_vector_index(self) -> str:
        # IVF centroids come from the rows present at build time; see oracle_maintenance.
        return await maintain_vector_index(self.fetchval, self._run_ddl)

    async def _run_ddl(self, sql: str) -> None:
        try:
            async with self._connection() as (conn, _):
                with conn.cursor() as cur:
                    await cur.execute(sql)
        except _DRIVER_ERRORS as exc:
            translate_error(exc)

    def pool_stats(self) -> PoolStats:
        # python-oracledb reports open and busy sessions; it does not count waiters.
        return PoolStats(
            size=int(self._pool.opened),
            in_use=int(self._pool.busy),
            max_size=int(self._pool.max),
            waiting=None,
        )

    def fulltext_query(self, text: str) -> str:
        # Words only, each escaped in braces, joined with ACCUM; see repo.sql.oracle_text.
        return oracle_text_query(text)

    async def close(self) -> None:
        if not self._owns_pool:
            return
        with contextlib.suppress(*_DRIVER_ERRORS):
            await self._pool.close(force=True)
