"""PostgreSQL through asyncpg. Rows are `asyncpg.Record`, returned untouched.

Session setup rides on the connection's startup packet (no extra round trip):
`search_path` for the tenant schema, pgvector's iterative HNSW scans (so filtered
vector searches still return k rows) and the statement timeout. Codecs for
`vector` (as `array.array('f')`) and `jsonb` are registered once per connection.
"""

from __future__ import annotations

import contextlib
import json
import struct
import sys
from array import array
from collections.abc import AsyncIterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any, NoReturn, cast

import asyncpg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from repo.backends.base import EMPTY, Backend, Capabilities, validate_schema_name
from repo.errors import (
    ConflictError,
    ConnectionLostError,
    DatabaseError,
    StatementTimeoutError,
    ValidationError,
)
from repo.rows import Row
from repo.sql.cache import Statement

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
    return b"\x01" + json.dumps(value, separators=(",", ":")).encode()


def decode_jsonb(data: bytes) -> Any:
    return json.loads(data[1:])


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "vector", schema="public", encoder=encode_vector, decoder=decode_vector, format="binary"
    )
    await conn.set_type_codec(
        "jsonb", schema="pg_catalog", encoder=encode_jsonb, decoder=decode_jsonb, format="binary"
    )


def translate_error(exc: BaseException) -> NoReturn:
    """Raise the memrepo error for a driver error (the original is chained)."""
    if isinstance(exc, asyncpg.QueryCanceledError):
        raise StatementTimeoutError(str(exc)) from exc
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        raise ConflictError(str(exc)) from exc
    if isinstance(exc, asyncpg.DataError):
        raise ValidationError("value", str(exc)) from exc
    if isinstance(
        exc,
        asyncpg.ConnectionDoesNotExistError
        | asyncpg.AdminShutdownError
        | asyncpg.CannotConnectNowError
        | asyncpg.InterfaceError
        | ConnectionError
        | OSError,
    ):
        raise ConnectionLostError(str(exc)) from exc
    if isinstance(exc, asyncpg.PostgresError):
        raise DatabaseError(str(exc)) from exc
    raise exc


_DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)


def _rowcount(status: str) -> int:
    """Affected rows from a command tag such as `UPDATE 3` or `INSERT 0 3`."""
    tail = status.rpartition(" ")[2]
    return int(tail) if tail.isdigit() else 0


class PostgresBackend(Backend):
    """An asyncpg pool bound to one tenant schema."""

    name = "postgresql"
    dialect = DIALECT
    capabilities = Capabilities(uses_observation_sources_table=False, has_copy=True)

    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self._pool = pool
        self.schema = schema
        self._conn: ContextVar[Any] = ContextVar(f"memrepo_pg_conn_{id(self)}", default=None)

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
    ) -> PostgresBackend:
        """Open a pool on `url` (`postgresql://...`) with `schema` first on the search path."""
        validate_schema_name(schema)
        settings = {
            "search_path": f'"{schema}", public',
            "hnsw.iterative_scan": "strict_order",
        }
        if statement_timeout_ms is not None:
            settings["statement_timeout"] = str(int(statement_timeout_ms))
        settings.update(server_settings or {})
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=min_size,
                max_size=max_size,
                init=_init_connection,
                server_settings=settings,
            )
        except _DRIVER_ERRORS as exc:
            translate_error(exc)
        return cls(pool, schema)

    @property
    def pool(self) -> asyncpg.Pool:
        """The asyncpg pool (for callers that need the raw driver)."""
        return self._pool

    def _executor(self) -> Any:
        conn = self._conn.get()
        return self._pool if conn is None else conn

    async def fetch(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> list[Row]:
        c = stmt.compiled(DIALECT)
        try:
            rows = await self._executor().fetch(c.sql, *c.args(params))
        except _DRIVER_ERRORS as exc:
            translate_error(exc)
        # asyncpg.Record satisfies Row natively; the stubs type its __getitem__ narrowly.
        return cast("list[Row]", rows)

    async def fetchrow(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> Row | None:
        c = stmt.compiled(DIALECT)
        try:
            row = await self._executor().fetchrow(c.sql, *c.args(params))
        except _DRIVER_ERRORS as exc:
            translate_error(exc)
        return cast("Row | None", row)

    async def fetchval(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> Any:
        c = stmt.compiled(DIALECT)
        try:
            return await self._executor().fetchval(c.sql, *c.args(params))
        except _DRIVER_ERRORS as exc:
            translate_error(exc)

    async def execute(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> int:
        c = stmt.compiled(DIALECT)
        try:
            status = await self._executor().execute(c.sql, *c.args(params))
        except _DRIVER_ERRORS as exc:
            translate_error(exc)
        return _rowcount(status)

    async def executemany(self, stmt: Statement, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        c = stmt.compiled(DIALECT)
        args = [c.args(r) for r in rows]
        try:
            # asyncpg runs executemany atomically (an implicit transaction when none is open).
            await self._executor().executemany(c.sql, args)
        except _DRIVER_ERRORS as exc:
            translate_error(exc)

    async def bulk_insert(
        self, table: sa.Table, columns: Sequence[str], records: Sequence[Sequence[Any]]
    ) -> None:
        if not records:
            return
        async with self._connection() as conn:
            try:
                await conn.copy_records_to_table(
                    table.name, records=records, columns=list(columns), schema_name=self.schema
                )
            except _DRIVER_ERRORS as exc:
                translate_error(exc)

    async def fetch_locked(
        self, stmt: Statement, params: Mapping[str, Any], limit: int
    ) -> list[Row]:
        # PostgreSQL accepts LIMIT with FOR UPDATE SKIP LOCKED: one statement.
        return await self.fetch(stmt, {**params, "limit": limit})

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[Any]:
        conn = self._conn.get()
        if conn is not None:
            yield conn
            return
        try:
            async with self._pool.acquire() as conn:
                yield conn
        except _DRIVER_ERRORS as exc:
            translate_error(exc)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        outer = self._conn.get()
        if outer is not None:
            # asyncpg turns a nested transaction into a savepoint.
            try:
                async with outer.transaction():
                    yield
            except _DRIVER_ERRORS as exc:
                translate_error(exc)
            return
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                token = self._conn.set(conn)
                try:
                    yield
                finally:
                    self._conn.reset(token)
        except _DRIVER_ERRORS as exc:
            translate_error(exc)

    def fulltext_query(self, text: str) -> str:
        # websearch_to_tsquery accepts any text without syntax errors.
        return text

    async def close(self) -> None:
        await self._pool.close()
