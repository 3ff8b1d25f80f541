"""Revision 0009 (one partial HNSW index per fact type) on a database holding data: the
upgrade keeps every row, replaces the shared HNSW index with one `WHERE fact_type = ...`
index per fact type (skipping one built beforehand under its name), has no drift, and each
arm then plans onto its own index; the downgrade brings back exactly 0008's indexes."""

from __future__ import annotations

import asyncio

import pytest

from repo.migrations import downgrade_sync, migrate
from repo.store import open_store
from schema.tables import FACT_TYPES, VECTOR_INDEXES
from tests.conftest import new_schema
from tests.helpers import embedding
from tests.migration_data import indexes, load_0001, schema_connection, snapshot
from tests.providers import Provider
from tests.tenants import drop_schema
from tests.test_migrations import schema_diff

pytestmark = pytest.mark.integration

SHARED = "ix_memory_units_embedding_hnsw"


async def test_0009_splits_the_hnsw_index_by_fact_type(provider: Provider) -> None:
    if provider.backend != "postgresql":
        pytest.skip("Oracle's half is a no-op (one vector index per column; docs/oracle.md)")
    schema = new_schema()
    try:
        await migrate(provider.url, schema=schema, revision="0001")
        async with schema_connection(provider.url, schema) as conn:
            await load_0001(conn)
            await migrate(provider.url, schema=schema, revision="0008")
            before, indexes_before = await snapshot(conn), await indexes(conn, schema)
            assert SHARED in indexes_before
            # Built ahead of the migration, as docs/production.md advises for big tables.
            await conn.execute(
                f"CREATE INDEX CONCURRENTLY {VECTOR_INDEXES['world']} ON memory_units"
                " USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
                " WHERE fact_type = 'world'"
            )
            await migrate(provider.url, schema=schema, revision="0009")
            after, indexes_after = await snapshot(conn), await indexes(conn, schema)

        assert after == before  # every row of every table
        assert SHARED not in indexes_after
        for ft in FACT_TYPES:
            definition = indexes_after[VECTOR_INDEXES[ft]]
            assert "USING hnsw (embedding vector_cosine_ops)" in definition
            assert "WITH (m='16', ef_construction='64')" in definition
            assert definition.endswith(f"WHERE ((fact_type)::text = '{ft}'::text)"), definition
        unchanged = set(indexes_before) - {SHARED}
        assert {n: indexes_after[n] for n in unchanged} == {n: indexes_before[n] for n in unchanged}
        await migrate(provider.url, schema=schema)  # the later revisions, on the same rows
        assert await schema_diff(provider.url, schema) == []

        async with open_store(provider.url, schema=schema, run_migrations=False) as store:
            rows = await store.recall.semantic("b1", embedding(1), fact_type="experience", k=5)
            assert [r["text"] for r in rows] == ["bob likes tea"]

        await asyncio.to_thread(downgrade_sync, provider.url, schema=schema, revision="0008")
        async with schema_connection(provider.url, schema) as conn:
            assert await snapshot(conn) == before
            assert await indexes(conn, schema) == indexes_before
    finally:
        await drop_schema(provider.url, schema)
