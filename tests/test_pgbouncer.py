"""Behind a real PgBouncer in transaction mode: no session state between transactions
(settings in every transaction) and no named prepared statements (PgBouncer 1.18 here)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from repo.errors import MemrepoError
from repo.migrations import migrate
from repo.models import RecallQuery
from repo.store import open_store
from tests.conftest import new_schema
from tests.helpers import embedding, unit
from tests.pgbouncer import PgBouncerUnavailable, pgbouncer
from tests.providers import Provider
from tests.tenants import drop_schema

pytestmark = [pytest.mark.integration, pytest.mark.reliability]


@pytest.fixture(scope="module")
def bouncer(provider: Provider) -> Iterator[str]:
    """The URL of a PgBouncer (transaction mode, 2 server connections) in front of the
    test database."""
    if provider.backend != "postgresql":
        pytest.skip("PgBouncer is a PostgreSQL pooler")
    try:
        with pgbouncer(provider.url, pool_mode="transaction", pool_size=2) as url:
            yield url
    except PgBouncerUnavailable as exc:
        pytest.skip(f"{exc} (.ci/run installs it)")


@pytest.fixture
async def schemas(provider: Provider) -> AsyncIterator[list[str]]:
    names = [new_schema(), new_schema()]
    for name in names:
        await migrate(provider.url, schema=name)  # directly: Alembic prepares statements
    yield names
    for name in names:
        await drop_schema(provider.url, name)


async def test_a_store_works_through_pgbouncer_in_transaction_mode(
    bouncer: str, schemas: list[str]
) -> None:
    options = {"settings_per_transaction": True, "statement_cache_size": 0}
    async with open_store(
        bouncer, schema=schemas[0], run_migrations=False, max_size=6, **options
    ) as store:
        other = store.tenant(schemas[1])
        for i, s in enumerate((store, other)):
            await s.banks.create("b")
            await s.memories.retain("b", [unit(10 * i + j) for j in range(i + 2)])

        async def work(i: int) -> None:
            s = (store, other)[i % 2]
            n = i % 2 + 2
            for _ in range(5):
                # Outside a transaction (each statement its own transaction through the
                # pooler) and inside one; six clients share two server connections.
                assert await s.memories.count("b") == n
                result = await s.recall.recall("b", RecallQuery(embedding=embedding(1)))
                assert len({r["id"] for r in result.all_rows()}) == n
                async with s.transaction():
                    assert len(await s.memories.list("b")) == n
                    await s.banks.get("b")

        await asyncio.gather(*(work(i) for i in range(12)))
    # No memrepo setting is left on the server connections PgBouncer hands out next.
    conn = await asyncpg.connect(bouncer, statement_cache_size=0)
    try:
        for _ in range(4):
            assert await conn.fetchval("SHOW search_path") == '"$user", public'
    finally:
        await conn.close()


async def test_session_settings_at_connect_are_refused_by_pgbouncer(
    bouncer: str, schemas: list[str]
) -> None:
    """Why the option exists: PgBouncer 1.18 rejects memrepo's startup settings."""
    with pytest.raises(MemrepoError, match="unsupported startup parameter"):
        async with open_store(bouncer, schema=schemas[0], run_migrations=False, max_size=1):
            pass
