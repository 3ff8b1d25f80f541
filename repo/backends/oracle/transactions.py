"""The session an Oracle call runs on, and transactions.

Transactions: the outermost `transaction()` holds one pooled connection in a ContextVar
and commits or rolls back; nested ones are savepoints (Oracle has no RELEASE SAVEPOINT,
so a nested success needs no statement). Outside a transaction, single statements run
with autocommit (the commit rides on the execute round trip) and batches commit or roll
back as a whole.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from repo.backends.base import Backend, validate_schema_name
from repo.backends.oracle.codecs import (
    BindPlan,
    input_type_handler,
    output_type_handler,
)
from repo.backends.oracle.errors import (
    DRIVER_ERRORS,
    translate_error,
)
from repo.errors import ConfigurationError
from repo.sql.cache import CompiledSQL, Statement


@dataclass(frozen=True, slots=True)
class _Tx:
    conn: Any  # oracledb.AsyncConnection
    depth: int


class OracleConnections(Backend):
    """The sessions of a python-oracledb async pool serving one tenant schema: which one a
    call runs on, transactions, savepoints and `using()`."""

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

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[tuple[Any, bool]]:
        """(connection, inside a transaction?) for one verb."""
        tx = self._tx.get()
        if tx is not None:
            yield tx.conn, True
            return
        async with self._acquire() as conn:
            yield conn, False

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
                    with contextlib.suppress(*DRIVER_ERRORS):
                        await conn.rollback()
                    raise
                await conn.commit()
                return result
        except DRIVER_ERRORS as exc:
            translate_error(exc)

    # ----------------------------------------------------------------- verbs

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        outer = self._tx.get()
        if outer is not None:
            depth = outer.depth + 1
            savepoint = f"memrepo_sp{depth}"
            try:
                with outer.conn.cursor() as cur:
                    await cur.execute(f"SAVEPOINT {savepoint}")
            except DRIVER_ERRORS as exc:
                translate_error(exc)
            token = self._tx.set(_Tx(outer.conn, depth))
            try:
                yield
            except BaseException:
                try:
                    with outer.conn.cursor() as cur:
                        await cur.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
                except DRIVER_ERRORS as exc:
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
                    with contextlib.suppress(*DRIVER_ERRORS):
                        await conn.rollback()
                    raise
                finally:
                    self._tx.reset(token)
                await conn.commit()
        except DRIVER_ERRORS as exc:
            translate_error(exc)
