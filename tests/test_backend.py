"""Backend verbs on a real database: native rows, transactions, savepoints, typed errors."""

from __future__ import annotations

import asyncpg
import pytest
import sqlalchemy as sa

from repo.errors import ConflictError, NotFoundError
from repo.rows import MappingRow, Row
from repo.sql import Statement
from repo.store import Store
from schema.tables import banks

pytestmark = pytest.mark.integration

COUNT_BANKS = Statement(
    "test.count_banks",
    sa.select(sa.func.count()).select_from(banks).where(banks.c.bank_id == sa.bindparam("bank_id")),
    register=False,
)


async def test_rows_are_native(store: Store, bank: str) -> None:
    row = await store.banks.get(bank)
    assert isinstance(row, Row)
    if store.backend.name == "postgresql":
        assert type(row) is asyncpg.Record  # untouched, not wrapped
    else:
        assert type(row) is MappingRow
    assert row["bank_id"] == bank and row[0] == bank
    assert set(row.keys()) >= {"bank_id", "name", "metadata", "created_at"}


async def test_transaction_rolls_back_everything(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.transaction():
            await store.banks.create("tx-rollback-a")
            await store.banks.create("tx-rollback-b")
            raise RuntimeError("boom")
    for bank_id in ("tx-rollback-a", "tx-rollback-b"):
        with pytest.raises(NotFoundError):
            await store.banks.get(bank_id)


async def test_nested_transaction_is_a_savepoint(store: Store) -> None:
    async with store.transaction():
        await store.banks.create("tx-outer")
        with pytest.raises(RuntimeError):
            async with store.transaction():
                await store.banks.create("tx-inner")
                raise RuntimeError("inner fails")
        assert await store.backend.fetchval(COUNT_BANKS, {"bank_id": "tx-inner"}) == 0
    assert (await store.banks.get("tx-outer"))["bank_id"] == "tx-outer"
    await store.banks.delete("tx-outer")


async def test_foreign_key_violation_is_a_conflict(store: Store) -> None:
    from tests.helpers import unit

    with pytest.raises(ConflictError):
        await store.memories.retain("no-such-bank", [unit(1)])
