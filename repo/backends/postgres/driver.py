"""`PostgresBackend`: the verbs over compiled statements, bulk paths, replica reads, and
the ways to open one (`connect`, `from_pool`, `for_schema`). Rows are `asyncpg.Record`,
returned untouched. Connections and transactions: `repo.backends.postgres.transactions`;
`one_connection()`: `repo.backends.postgres.one_connection`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, cast

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from repo.backends.base import EMPTY, Capabilities, PoolStats
from repo.backends.postgres.config import open_pool
from repo.backends.postgres.errors import (
    DRIVER_ERRORS,
    RETRY,
    ends_when_lost,
    is_closed,
    is_select,
)
from repo.backends.postgres.maintenance import VECTOR_INDEXES_SQL, maintenance_sql
from repo.backends.postgres.one_connection import OneConnection
from repo.backends.postgres.routing import Replicas, replica_safe
from repo.backends.postgres.session import (
    Apply,
    search_path,
    store_settings,
    swap_settings_sql,
)
from repo.connecting import DEFAULT_CONNECT_TIMEOUT
from repo.errors import ConfigurationError, StatementTimeoutError
from repo.rows import Row
from repo.sql.cache import Statement
from repo.sql.text_query import websearch_query

DIALECT = PGDialect_asyncpg()  # type: ignore[no-untyped-call]


def _rowcount(status: str) -> int:
    """Affected rows from a command tag such as `UPDATE 3` or `INSERT 0 3`."""
    tail = status.rpartition(" ")[2]
    return int(tail) if tail.isdigit() else 0


class PostgresBackend(OneConnection):
    """An asyncpg pool serving one tenant schema."""

    name = "postgresql"
    dialect = DIALECT
    capabilities = Capabilities(
        uses_observation_sources_table=False,
        has_copy=True,
        ordered_array_upsert=True,
        inline_exact_fallback=True,
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
        pool, settings, apply = await open_pool(
            url, schema=schema, min_size=min_size, max_size=max_size,
            statement_timeout_ms=statement_timeout_ms, server_settings=server_settings,
            connect_timeout=connect_timeout, settings_per_transaction=settings_per_transaction,
            statement_cache_size=statement_cache_size,
        )  # fmt: skip
        return cls(pool, schema, settings=settings, apply=apply)

    @classmethod
    def from_pool(
        cls,
        pool: asyncpg.Pool,
        *,
        schema: str = "public",
        statement_timeout_ms: int | None = None,
        settings_per_transaction: bool = False,
        server_settings: Mapping[str, str] | None = None,
    ) -> PostgresBackend:
        """A backend on a pool the application created (and closes): memrepo's codecs are
        registered on each connection the first time memrepo uses it, the settings are
        applied per statement or per transaction, and `close()` leaves the pool open."""
        apply = Apply.TRANSACTION if settings_per_transaction else Apply.SESSION
        settings = store_settings(schema, statement_timeout_ms)
        settings.update(server_settings or {})
        return cls(pool, schema, settings=settings, apply=apply, foreign=True, owns_pool=False)

    def for_schema(self, schema: str) -> PostgresBackend:
        """The same pool serving another tenant schema (statements are not compiled again:
        the SQL never names the schema)."""
        settings = {**self._settings, "search_path": search_path(schema)}  # knobs kept
        apply = Apply.TRANSACTION if self._apply is Apply.TRANSACTION else Apply.SESSION
        return PostgresBackend(
            self._pool, schema, settings=settings, apply=apply, foreign=self._foreign,
            owns_pool=False, replicas=self._replicas.map(lambda r: r.for_schema(schema)),
        )  # fmt: skip

    def attach_replicas(self, replicas: Sequence[PostgresBackend]) -> None:
        """Send reads outside transactions to `replicas` (in turn) from now on."""
        self._replicas = Replicas(replicas)

    @contextlib.asynccontextmanager
    async def vector_search(self, settings: Mapping[str, str]) -> AsyncIterator[None]:
        """The block runs in a transaction (a savepoint inside one) whose first statement
        sets `settings` transaction-locally: they end with the block, whatever the pool
        mode, and the previous values come back if an outer transaction goes on."""
        if not settings:
            yield
            return
        outer = self._conn.get() is not None
        names = list(settings)
        async with self.transaction():
            conn = self._conn.get()
            try:
                row = await conn.fetchrow(swap_settings_sql(names), *settings.values())
            except DRIVER_ERRORS as exc:
                await self._fail(exc, conn)
            yield
            previous = {n: row[i] for i, n in enumerate(names) if row[i] is not None}
            if outer and previous:  # a released savepoint keeps SET LOCAL values
                try:
                    await conn.fetchrow(swap_settings_sql(list(previous)), *previous.values())
                except DRIVER_ERRORS as exc:
                    await self._fail(exc, conn)

    @property
    def pool(self) -> asyncpg.Pool:
        """The asyncpg pool (for callers that need the raw driver)."""
        return self._pool

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
            return await self._call(method, c.sql, args)
        except DRIVER_ERRORS as exc:
            used = conn if held is None else held[0]
            dead = isinstance(exc, RETRY) or (held is not None and is_closed(held[0]))
            if conn is not None or not dead or not is_select(stmt):
                await self._fail(exc, used)
            await self._pool.expire_connections()
        if held is not None:
            await self._replace_held(held)
        try:
            return await self._call(method, c.sql, args)
        except DRIVER_ERRORS as exc:
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
            status = await self._call("execute", c.sql, args)
        except DRIVER_ERRORS as exc:
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
                async with ends_when_lost(conn):
                    await call(conn)
            except DRIVER_ERRORS as exc:
                await self._fail(exc, conn)

    async def fetch_locked(
        self, stmt: Statement, params: Mapping[str, Any], limit: int
    ) -> list[Row]:
        # PostgreSQL accepts LIMIT with FOR UPDATE SKIP LOCKED: one statement.
        return await self.fetch(stmt, {**params, "limit": limit})

    async def maintain(self, tables: Sequence[str], *, reindex: bool, timeout: float) -> list[str]:
        """(`reindex`) REINDEX each vector index CONCURRENTLY, then VACUUM (ANALYZE) each
        table: each statement alone on a connection of its own, outside any transaction,
        cancelled after `timeout` seconds (repo.maintenance)."""
        if self._current() is not None:
            raise ConfigurationError(
                "store.maintain() cannot run inside store.transaction(), store.using() or"
                " one_connection(): VACUUM and REINDEX CONCURRENTLY refuse a transaction block"
            )
        indexes: list[str] = []
        if reindex:
            indexes = [r[0] for r in await self._alone(VECTOR_INDEXES_SQL, timeout, self.schema)]
        statements = maintenance_sql(self.schema, tables, indexes)
        for sql in statements:
            await self._alone(sql, timeout)
        return statements

    async def _alone(self, sql: str, timeout: float, *args: Any) -> Any:
        """Run one statement by itself (no BEGIN, no settings) on a pooled connection;
        a statement still running after `timeout` seconds is cancelled."""
        try:
            conn = await self._pool.acquire(timeout=timeout)
        except TimeoutError as exc:
            raise StatementTimeoutError(f"no connection within {timeout} s") from exc
        except DRIVER_ERRORS as exc:
            await self._fail(exc)
        try:
            if args:
                return await conn.fetch(sql, *args, timeout=timeout)
            return await conn.execute(sql, timeout=timeout)
        except TimeoutError as exc:
            raise StatementTimeoutError(f"cancelled after {timeout} s: {sql}") from exc
        except DRIVER_ERRORS as exc:
            await self._fail(exc, conn)
        finally:
            with contextlib.suppress(*DRIVER_ERRORS):
                await self._pool.release(conn)

    async def vector_dimension(self, table: str, column: str) -> int | None:
        # pgvector keeps a vector column's dimension as its type modifier (-1: any).
        sql = (
            "SELECT atttypmod FROM pg_attribute WHERE NOT attisdropped AND attname = $3"
            " AND attrelid = to_regclass(quote_ident($1) || '.' || quote_ident($2))"
        )
        async with self._connection() as conn:
            try:
                typmod = await conn.fetchval(sql, self.schema, table, column)
            except DRIVER_ERRORS as exc:
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

    def fulltext_query(self, text: str, mode: str = "all") -> str:
        # websearch_to_tsquery accepts any text without syntax errors; see repo.sql.text_query.
        return websearch_query(text, mode)

    async def close(self) -> None:
        if self._owns_pool:
            for replica in self._replicas.backends:
                await replica.close()
            await self._pool.close()
