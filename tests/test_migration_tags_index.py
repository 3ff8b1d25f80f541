"""Revision 0011 (GIN index on memory_units.tags) on a database holding data: the upgrade
keeps every row, adds `ix_memory_units_tags` (skipping one built beforehand under its
name), has no drift, a tag-filtered recall still finds its unit; the downgrade brings back
exactly 0010's indexes."""

from __future__ import annotations

import asyncio

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

INDEX = "ix_memory_units_tags"


@pytest.mark.parametrize("built_ahead", [False, True])
async def test_0011_adds_the_tags_gin_index(provider: Provider, built_ahead: bool) -> None:
    if provider.backend != "postgresql":
        pytest.skip("Oracle's half is a no-op (tags are filtered with JSON_TABLE)")
    schema = new_schema()
    try:
        await migrate(provider.url, schema=schema, revision="0001")
        async with schema_connection(provider.url, schema) as conn:
            await load_0001(conn)
            await migrate(provider.url, schema=schema, revision="0010")
            before, indexes_before = await snapshot(conn), await indexes(conn, schema)
            assert INDEX not in indexes_before
            if built_ahead:  # as docs/production.md advises for big tables
                await conn.execute(
                    f"CREATE INDEX CONCURRENTLY {INDEX} ON memory_units USING gin (tags)"
                )
            await migrate(provider.url, schema=schema, revision="0011")
            after, indexes_after = await snapshot(conn), await indexes(conn, schema)

        assert after == before  # every row of every table
        assert indexes_after[INDEX].endswith("USING gin (tags)"), indexes_after[INDEX]
        assert {n: d for n, d in indexes_after.items() if n != INDEX} == indexes_before
        await migrate(provider.url, schema=schema)  # any later revisions, on the same rows
        assert await schema_diff(provider.url, schema) == []

        async with open_store(provider.url, schema=schema, run_migrations=False) as store:
            where = RecallFilter(tags=["t1"], tags_match="all", untagged="exclude")
            rows = await store.recall.semantic(
                "b1", embedding(1), fact_type="experience", k=5, where=where
            )
            assert [r["text"] for r in rows] == ["bob likes tea"]

        await asyncio.to_thread(downgrade_sync, provider.url, schema=schema, revision="0010")
        async with schema_connection(provider.url, schema) as conn:
            assert await snapshot(conn) == before
            assert await indexes(conn, schema) == indexes_before
    finally:
        await drop_schema(provider.url, schema)
