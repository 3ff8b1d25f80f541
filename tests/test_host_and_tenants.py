"""Embedding in an application: a store on the application's asyncpg pool, repository calls
inside the application's transaction, and many tenant schemas on one pool."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from repo.errors import ConfigurationError
from repo.migrations import migrate
from repo.sql.cache import compiled_entries
from repo.store import Store, open_store
from tests.conftest import new_schema
from tests.helpers import embedding, unit
from tests.providers import Provider
from tests.tenants import drop_schema

pytestmark = [pytest.mark.integration]


def _postgres_only(provider: Provider) -> None:
    if provider.backend != "postgresql":
        pytest.skip("host pools, host transactions and shared-pool tenants are PostgreSQL's")


@pytest.fixture
async def schemas(provider: Provider) -> AsyncIterator[list[str]]:
    """Three migrated tenant schemas, dropped afterwards."""
    _postgres_only(provider)
    names = [new_schema() for _ in range(3)]
    for name in names:
        await migrate(provider.url, schema=name)
    yield names
    for name in names:
        await drop_schema(provider.url, name)


@pytest.mark.reliability
async def test_mixed_transaction_on_the_callers_connection_commits_and_rolls_back(
    provider: Provider, schemas: list[str]
) -> None:
    schema = schemas[0]
    # The application's pool: no memrepo codecs, no memrepo settings.
    host = await asyncpg.create_pool(provider.url, min_size=1, max_size=2)
    try:
        async with host.acquire() as conn:
            await conn.execute(f'CREATE TABLE "{schema}".app_orders (id int PRIMARY KEY)')
        async with open_store(pool=host, schema=schema) as store:
            assert store.dim == 384
            await store.banks.create("b")
            for commit in (True, False):
                async with host.acquire() as conn:
                    path = await conn.fetchval("SHOW search_path")
                    with pytest.raises(ConfigurationError):
                        async with store.using(conn):  # no transaction open
                            pass
                    try:
                        async with conn.transaction():
                            await conn.execute(
                                f'INSERT INTO "{schema}".app_orders VALUES ($1)', int(commit)
                            )
                            async with store.using(conn):
                                ids = await store.memories.retain("b", [unit(int(commit))])
                                # A nested transaction is a savepoint: its failure leaves
                                # the rest of the host's transaction intact.
                                with pytest.raises(ConfigurationError):
                                    async with store.transaction():
                                        await store.memories.retain("b", [unit(9)])
                                        raise ConfigurationError("undo this part only")
                                assert [r["id"] for r in await store.memories.get("b", ids)] == ids
                            # Back in the host's own transaction: its settings as before.
                            assert await conn.fetchval("SHOW search_path") == path
                            if not commit:
                                raise RuntimeError("the application rolls back")
                    except RuntimeError:
                        pass
                # Read back through the store (outside any transaction, on the host pool).
                found = await store.memories.get("b", ids)
                async with host.acquire() as conn:
                    order = await conn.fetchval(
                        f'SELECT count(*) FROM "{schema}".app_orders WHERE id = $1', int(commit)
                    )
                assert (len(found), order) == ((1, 1) if commit else (0, 0))
            assert await store.memories.count("b") == 1  # the savepoint's unit is gone
            rows = await store.recall.semantic("b", embedding(1), fact_type="experience", k=5)
            assert [r["text"] for r in rows] == [unit(1).text]  # codecs on host connections
        # Closing the store leaves the application's pool open.
        assert await host.fetchval("SELECT 1") == 1
    finally:
        await host.close()


@pytest.mark.reliability
async def test_one_pool_serves_many_tenants_in_isolation(
    provider: Provider, schemas: list[str]
) -> None:
    async with open_store(provider.url, schema=schemas[0], min_size=2, max_size=2) as base:
        tenants = [base] + [base.tenant(s) for s in schemas[1:]]
        for i, t in enumerate(tenants):
            await t.banks.create("same")
            await t.memories.retain("same", [unit(100 * i + j) for j in range(i + 1)])
        # Warm every statement these calls use, then count compilations.
        await _tenant_round(tenants[1], 1)
        before = compiled_entries()

        async def check(i: int, t: Store) -> None:
            for _ in range(5):
                await _tenant_round(t, i)

        # Tenants interleave on two pooled connections.
        await asyncio.gather(*(check(i, t) for _ in range(4) for i, t in enumerate(tenants)))
        assert compiled_entries() == before  # no compilation per tenant
        # The pool's connections are back on the base schema (no tenant leaks into it).
        for _ in range(4):
            await _tenant_round(base, 0)
        async with base.transaction():
            assert await base.memories.count("same") == 1


async def _tenant_round(t: Store, i: int) -> None:
    """Tenant i sees its own i+1 units in bank "same", in and out of transactions."""
    assert await t.memories.count("same") == i + 1
    async with t.transaction():
        assert await t.memories.count("same") == i + 1
        assert await t.banks.get("same") is not None
    assert len(await t.memories.list("same", limit=10)) == i + 1


async def test_a_tenant_name_is_validated(store: Store) -> None:
    with pytest.raises(ConfigurationError):
        store.tenant('x"; DROP SCHEMA public; --')


@pytest.mark.reliability
async def test_commit_of_an_aborted_transaction_raises(provider: Provider, store: Store) -> None:
    """An error caught inside `store.transaction()` leaves PostgreSQL's transaction aborted:
    leaving the block must not report a commit that did not happen."""
    _postgres_only(provider)
    import uuid
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from repo.errors import ConflictError, DatabaseError, NotFoundError
    from repo.sql.cache import Statement
    from schema.tables import banks

    bank = f"bank-{uuid.uuid4().hex[:12]}"
    now = datetime.now(UTC)
    row = {"bank_id": bank, "name": "n", "created_at": now, "updated_at": now}
    insert = Statement(
        "test.insert_bank",
        sa.insert(banks).values(
            {c: sa.bindparam(c) for c in ("bank_id", "name", "created_at", "updated_at")}
        ),
        register=False,
    )  # fmt: skip
    with pytest.raises(DatabaseError, match="aborted"):
        async with store.transaction():
            await store.backend.execute(insert, row)
            with pytest.raises(ConflictError):
                await store.backend.execute(insert, row)
    with pytest.raises(NotFoundError):
        await store.banks.get(bank)
