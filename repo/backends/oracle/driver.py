"""Oracle Database 23ai through python-oracledb (thin mode, asyncio).

Session setup runs once per pooled session (the pool's `session_callback`): UTC time
zone and the tenant schema (`ALTER SESSION SET CURRENT_SCHEMA`) in one PL/SQL round trip,
the input/output type handlers, and the statement timeout as `call_timeout`.

Each verb looks up the statement's SQL for the Oracle dialect (compiled once) and its
bind plan (built once, from the compiled parameter types; see `codecs`), binds
by name and builds rows with a cursor row factory into `MappingRow` (lower-case keys).
LOBs are fetched as `str`/`bytes` (`fetch_lobs=False`).

MERGE upserts retry the rows that hit ORA-00001, which is what a MERGE
raises when a concurrent session inserted the same key first (PostgreSQL's ON CONFLICT
handles that race itself).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import oracledb
import sqlalchemy as sa
from sqlalchemy.dialects.oracle.oracledb import OracleDialect_oracledb

from repo.backends.base import EMPTY, Capabilities, PoolStats, validate_schema_name
from repo.backends.oracle.batches import BatchError, executemany_chunked
from repo.backends.oracle.codecs import (
    BindPlan,
    build_bind_plan,
    column_keys,
    make_row_factory,
)
from repo.backends.oracle.config import open_pool
from repo.backends.oracle.errors import (
    DRIVER_ERRORS,
    ORA_INVALID_IDENTIFIER,
    ORA_NO_SUCH_TABLE,
    describe_error,
    is_unique_violation,
    raise_batch_error,
    translate_error,
)
from repo.backends.oracle.maintenance import gather_stats_sql, maintain_vector_index
from repo.backends.oracle.transactions import OracleConnections
from repo.connecting import DEFAULT_CONNECT_TIMEOUT, connect_failure
from repo.errors import ConfigurationError
from repo.rows import Row
from repo.sql.cache import CompiledSQL, Statement
from repo.sql.oracle_text import oracle_text_query

DIALECT = OracleDialect_oracledb()  # type: ignore[no-untyped-call]


#: How many times a MERGE is retried after ORA-00001 from a concurrent insert.
MERGE_RETRIES = 3


class OracleBackend(OracleConnections):
    """A python-oracledb async pool bound to one tenant schema."""

    name = "oracle"
    dialect = DIALECT
    capabilities = Capabilities(
        uses_observation_sources_table=True,
        has_copy=False,
        target_accuracy_in_sql=True,
        ordered_array_upsert=False,
        # Unverified that Oracle skips the false branch's exact search (docs/oracle.md).
        inline_exact_fallback=False,
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
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        target_accuracy: int | None = None,
    ) -> OracleBackend:
        """Open a pool on `url` (`oracle://u:p@host:port/SERVICE`) for tenant `schema`.

        `public` means the connecting user's own schema; any other (validated) name is
        the Oracle user whose schema the session uses (`CURRENT_SCHEMA`). Connections
        are opened within `connect_timeout` seconds (`tcp_connect_timeout`) and probed
        every minute while idle (`expire_time`), so a dead peer is noticed.
        `target_accuracy`: the store's `WITH TARGET ACCURACY` for approximate top-k.
        """
        pool, db, timeout = open_pool(
            url, schema=schema, min_size=min_size, max_size=max_size,
            statement_timeout_ms=statement_timeout_ms, connect_timeout=connect_timeout,
        )  # fmt: skip
        backend = cls(pool, schema)
        backend.target_accuracy = target_accuracy
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
    def from_pool(
        cls, pool: Any, *, schema: str = "public", target_accuracy: int | None = None
    ) -> OracleBackend:
        """A backend on a python-oracledb async pool the application created (and closes):
        memrepo's type handlers and the tenant schema are set on each session it acquires
        (attributes the driver sends with the next call: no extra round trip)."""
        backend = cls(pool, schema, foreign=True, owns_pool=False)
        backend.target_accuracy = target_accuracy
        return backend

    def for_schema(self, schema: str) -> OracleBackend:
        """The same pool serving another tenant schema (the session's `current_schema` is
        set on each acquire, sent with the next call)."""
        view = OracleBackend(self._pool, schema, foreign=True, owns_pool=False)
        view._plans, view._inserts = self._plans, self._inserts  # bind plans are shared
        view.target_accuracy = self.target_accuracy
        # The pool now serves several schemas: this backend sets its own on each acquire.
        self._foreign = True
        return view

    def _plan(self, compiled: CompiledSQL) -> BindPlan:
        plan = self._plans.get(compiled)
        if plan is None:
            plan = self._plans[compiled] = build_bind_plan(compiled)
        return plan

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
        except DRIVER_ERRORS as exc:
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
        # (ORA-00001) are retried alone; offsets index `pending` (see batches).
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
                raise_batch_error(other[0])
            pending = [pending[e.offset] for e in errors]
        raise_batch_error(errors[0])

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

    async def vector_dimension(self, table: str, column: str) -> int | None:
        # The driver describes a VECTOR column's declared dimension (None: flexible).
        table, column = validate_schema_name(table), validate_schema_name(column)
        sql = f"SELECT {column} FROM {table} WHERE 1 = 0"
        try:
            async with self._connection() as (conn, _):
                with conn.cursor() as cur:
                    await cur.execute(sql)
                    dims = cur.description[0].vector_dimensions
        except DRIVER_ERRORS as exc:
            if describe_error(exc)[1] in (ORA_NO_SUCH_TABLE, ORA_INVALID_IDENTIFIER):
                return None
            translate_error(exc)
        return int(dims) if dims else None

    async def maintain_vector_index(self) -> str:
        # IVF centroids come from the rows present at build time; see maintenance.
        return await maintain_vector_index(self.fetchval, self._run_ddl)

    async def maintain(self, tables: Sequence[str], *, reindex: bool, timeout: float) -> list[str]:
        """DBMS_STATS.GATHER_TABLE_STATS per table (with its indexes), then (`reindex`) the
        vector index rebuilt from the rows present; each call bounded by `timeout`."""
        if self._tx.get() is not None:
            raise ConfigurationError(
                "store.maintain() cannot run inside store.transaction() or store.using()"
            )
        statements = [gather_stats_sql(t) for t in tables]
        for sql in statements:
            await self._run_ddl(sql, timeout)
        if reindex:
            action = await maintain_vector_index(
                self.fetchval, lambda sql: self._run_ddl(sql, timeout)
            )
            statements.append(f"maintain_vector_index: {action}")
        return statements

    async def _run_ddl(self, sql: str, timeout: float | None = None) -> None:
        try:
            async with self._connection() as (conn, _):
                saved = conn.call_timeout
                if timeout is not None:
                    conn.call_timeout = max(1, int(timeout * 1000))
                try:
                    with conn.cursor() as cur:
                        await cur.execute(sql)
                finally:
                    conn.call_timeout = saved
        except DRIVER_ERRORS as exc:
            translate_error(exc)

    def pool_stats(self) -> PoolStats:
        # python-oracledb reports open and busy sessions; it does not count waiters.
        return PoolStats(
            size=int(self._pool.opened),
            in_use=int(self._pool.busy),
            max_size=int(self._pool.max),
            waiting=None,
        )

    def fulltext_query(self, text: str, mode: str = "all") -> str:
        # Words only, each escaped in braces, joined with AND or ACCUM; repo.sql.oracle_text.
        return oracle_text_query(text, mode)

    async def close(self) -> None:
        if not self._owns_pool:
            return
        with contextlib.suppress(*DRIVER_ERRORS):
            await self._pool.close(force=True)
