"""Test helpers that look at what a store wrote: row counts per table, and a recording
backend that delegates every call to the real one."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

import sqlalchemy as sa

from repo.backends.base import Backend
from repo.sql import Statement
from repo.store import Store
from repo.telemetry import InstrumentedBackend
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


class SpyBackend(InstrumentedBackend):
    """A backend that delegates to a real one and records every call it makes:
    (verb, statement name or table, succeeded). The delegation is the traced backend's."""

    def __init__(self, inner: Backend) -> None:
        super().__init__(inner)
        self.calls: list[tuple[str, str, bool]] = []

    async def _run(self, verb: str, what: str, call: Awaitable[T]) -> T:
        try:
            result = await call
        except BaseException:
            self.calls.append((verb, what, False))
            raise
        self.calls.append((verb, what, True))
        return result

    async def bulk_insert(
        self, table: sa.Table, columns: Sequence[str], records: Sequence[Sequence[Any]]
    ) -> None:
        await self._run("bulk_insert", table.name, self.inner.bulk_insert(table, columns, records))

    def transaction(self) -> AbstractAsyncContextManager[None]:
        self.calls.append(("transaction", "", True))
        return self.inner.transaction()

    async def close(self) -> None:
        """The spied store's owner closes the real backend."""

    def succeeded(self) -> list[str]:
        """The statements (or bulk-loaded tables) that ran without error, in order."""
        return [what for verb, what, ok in self.calls if ok and verb != "transaction"]


def spied(store: Store) -> tuple[Store, SpyBackend]:
    """The same store, with every backend call recorded."""
    spy = SpyBackend(store.backend)
    return Store(spy, store.url, dim=store.dim), spy
