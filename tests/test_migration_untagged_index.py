"""Revision 0012 (a partial index of the untagged units, statistics of the tag count) on a
database holding data, untagged units among them (NULL tags and an empty array): the
upgrade keeps every row, adds `ix_memory_units_untagged` (skipping one built beforehand
under its name) and `st_memory_units_tag_count`, has no drift, a tag filter that includes
untagged units still finds the same units; the downgrade brings back exactly 0011's
indexes and no statistics object."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from repo.migrations import downgrade_sync, migrate
from repo.models import RecallFilter
from repo.store import open_store
from tests.conftest import new_schema
from tests.helpers import embedding
from tests.migration_data import indexes, load_0001, schema_connection, snapshot
from tests.providers import Provider
from tests.tenants import drop_schema
from tests.test_migrations import schema_diff

pytestmark = pytest.mark.integration

INDEX = "ix_memory_units_untagged"
STATISTICS = "st_memory_units_tag_count"
CREATE = (
    f"CREATE INDEX CONCURRENTLY {INDEX} ON memory_units (bank_id, fact_type)"
    " WHERE COALESCE(cardinality(tags), 0) = 0"
)


async def _add_untagged(conn: asyncpg.Connection) -> None:
    """Two experience units without tags: NULL and an empty array."""
    for text, tags in (("carol has no tags", None), ("dave has none either", [])):
        await conn.execute(
            "INSERT INTO memory_units (id, bank_id, text, embedding, fact_type, tags,"
            " proof_count, created_at, updated_at) SELECT gen_random_uuid(), 'b1', $1,"
            " embedding, 'experience', $2::text[], 1, created_at, updated_at"
            " FROM memory_units WHERE text = 'bob likes tea'",
            text, tags,
        )  # fmt: skip


async def _statistics(conn: asyncpg.Connection, schema: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT pg_get_statisticsobjdef(s.oid) AS d FROM pg_statistic_ext s"
        " JOIN pg_namespace n ON n.oid = s.stxnamespace WHERE n.nspname = $1",
        schema,
    )
    return sorted(r["d"] for r in rows)


@pytest.mark.parametrize("built_ahead", [False, True])
async def test_0012_adds_the_untagged_index(provider: Provider, built_ahead: bool) -> None:
    if provider.backend != "postgresql":
        pytest.skip("Oracle's half is a no-op (tags are filtered with JSON_EXISTS)")
    schema = new_schema()
    try:
        await migrate(provider.url, schema=schema, revision="0001")
        async with schema_connection(provider.url, schema) as conn:
            await load_0001(conn)
            await migrate(provider.url, schema=schema, revision="0011")
            await _add_untagged(conn)
            before, indexes_before = await snapshot(conn), await indexes(conn, schema)
            assert INDEX not in indexes_before
            assert await _statistics(conn, schema) == []
            if built_ahead:  # as docs/production.md advises for big tables
                await conn.execute(CREATE)
            await migrate(provider.url, schema=schema, revision="0012")
            after, indexes_after = await snapshot(conn), await indexes(conn, schema)
            stats = await _statistics(conn, schema)

        assert after == before  # every row of every table
        assert indexes_after[INDEX].endswith(
            "(bank_id, fact_type) WHERE (COALESCE(cardinality(tags), 0) = 0)"
        ), indexes_after[INDEX]
        assert {n: d for n, d in indexes_after.items() if n != INDEX} == indexes_before
        assert len(stats) == 1 and stats[0].endswith(
            f"{STATISTICS} ON COALESCE(cardinality(tags), 0) FROM memory_units"
        ), stats
        await migrate(provider.url, schema=schema)  # any later revisions, on the same rows
        assert await schema_diff(provider.url, schema) == []

        async with open_store(provider.url, schema=schema, run_migrations=False) as store:
            where = RecallFilter(tags=["t1"], tags_match="all", untagged="include")
            rows = await store.recall.semantic(
                "b1", embedding(1), fact_type="experience", k=5, where=where
            )
            assert sorted(r["text"] for r in rows) == [
                "bob likes tea",
                "carol has no tags",
                "dave has none either",
            ]

        await asyncio.to_thread(downgrade_sync, provider.url, schema=schema, revision="0011")
        async with schema_connection(provider.url, schema) as conn:
            assert await snapshot(conn) == before
            assert await indexes(conn, schema) == indexes_before
            assert await _statistics(conn, schema) == []
    finally:
        await drop_schema(provider.url, schema)
