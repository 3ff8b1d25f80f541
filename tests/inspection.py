"""Test helpers that look at what a store wrote: row counts per table, and a recording
backend that delegates every call to the real one."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

import sqlalchemy as sa

from repo.backends.base import EMPTY, Backend, PoolStats
from repo.rows import Row
from repo.sql import Statement
from repo.store import Store
from schema.tables import ALL_TABLES

T = TypeVar("T")


def _count(table: sa.Table, by_bank: bool) -> Statement:
    stmt = sa.select(sa.func.count()).select_from(table)
    if by_bank:
        stmt = stmt.where(table.c.bank_id == sa.bindparam("bank_id"))
    suffix = "bank" if by_bank else "all"
    return Statement(f"test.count.{table.name}.{suffix}", stmt, register=False)


BY_BANK = {t.name: _count(t, True) for t in ALL_TABLES}
ALL_ROWS = {t.name: _count(t, False) for t in ALL_TABLES}


async def bank_row_counts(
    store: Store, bank_id: str, *, skip: frozenset[str] = frozenset()
) -> dict[str, int]:
    """Rows of `bank_id` in every table (all tables carry `bank_id`) but `skip` (tables
    a schema at an older revision does not have)."""
    return {
        name: int(await store.backend.fetchval(stmt, {"bank_id": bank_id}))
        for name, stmt in BY_BANK.items()
        if name not in skip
    }


async def table_row_counts(store: Store) -> dict[str, int]:
    """Rows in every table of the store's schema, all banks together."""
    return {name: int(await store.backend.fetchval(stmt)) for name, stmt in ALL_ROWS.items()}


class SpyBackend(Backend):
    """A backend that delegates to a real one and records every call it makes:
    (verb, statement name or table, succeeded)."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.name = inner.name
        self.dialect = inner.dialect
        self.capabilities = inner.capabilities
        self.schema = inner.schema
        self.calls: list[tuple[str, str, bool]] = []

    async def _run(self, verb: str, what: str, call: Awaitable[T]) -> T:
        try:
            result = await call
        except BaseException:
            self.calls.append((verb, what, False))
            raise
        self.calls.append((verb, what, True))
        return result

    async def fetch(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> list[Row]:
        return await self._run("fetch", stmt.name, self.inner.fetch(stmt, params))

    async def fetchrow(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> Row | None:
        return await self._run("fetchrow", stmt.name, self.inner.fetchrow(stmt, params))

    async def fetchval(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> Any:
        return await self._run("fetchval", stmt.name, self.inner.fetchval(stmt, params))

    async def execute(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> int:
        return await self._run("execute", stmt.name, self.inner.execute(stmt, params))

    async def executemany(self, stmt: Statement, rows: Sequence[Mapping[str, Any]]) -> None:
        await self._run("executemany", stmt.name, self.inner.executemany(stmt, rows))

    async def bulk_insert(
        self, table: sa.Table, columns: Sequence[str], records: Sequence[Sequence[Any]]
    ) -> None:
        await self._run("bulk_insert", table.name, self.inner.bulk_insert(table, columns, records))

    async def fetch_locked(
        self, stmt: Statement, params: Mapping[str, Any], limit: int
    ) -> list[Row]:
        return await self._run(
            "fetch_locked", stmt.name, self.inner.fetch_locked(stmt, params, limit)
        )

    def transaction(self) -> AbstractAsyncContextManager[None]:
        self.calls.append(("transaction", "", True))
        return self.inner.transaction()

    def one_connection(self) -> AbstractAsyncContextManager[None]:
        return self.inner.one_connection()

    async def vector_dimension(self, table: str, column: str) -> int | None:
        return await self.inner.vector_dimension(table, column)

    def pool_stats(self) -> PoolStats:
        return self.inner.pool_stats()

    def fulltext_query(self, text: str) -> str:
        return self.inner.fulltext_query(text)

    async def close(self) -> None:
        """The spied store's owner closes the real backend."""

    def succeeded(self) -> list[str]:
        """The statements (or bulk-loaded tables) that ran without error, in order."""
        return [what for verb, what, ok in self.calls if ok and verb != "transaction"]


def spied(store: Store) -> tuple[Store, SpyBackend]:
    """The same store, with every backend call recorded."""
    spy = SpyBackend(store.backend)
    return Store(spy, store.url, dim=store.dim), spy
