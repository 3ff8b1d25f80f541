"""Revision 0014 (HNSW graphs rebuilt with m 24, ef_construction 128) on a database holding
data: the upgrade keeps every row, rebuilds each fact type's index under its name with the
new options (using one built beforehand under `<name>_rebuilt`, keeping one that already
has them), has no drift; the downgrade brings back
exactly 0013's indexes."""

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

OLD = "WITH (m='16', ef_construction='64')"
NEW = "WITH (m='24', ef_construction='128')"
HNSW = "USING hnsw (embedding vector_cosine_ops)"


async def test_0014_rebuilds_the_hnsw_indexes_denser(provider: Provider) -> None:
    if provider.backend != "postgresql":
        pytest.skip("Oracle's half is a no-op (its vector index is IVF; docs/oracle.md)")
    schema = new_schema()
    try:
        await migrate(provider.url, schema=schema, revision="0001")
        async with schema_connection(provider.url, schema) as conn:
            await load_0001(conn)
            await migrate(provider.url, schema=schema, revision="0013")
            before, indexes_before = await snapshot(conn), await indexes(conn, schema)
            for ft in FACT_TYPES:
                assert OLD in indexes_before[VECTOR_INDEXES[ft]]
            # Built ahead, as docs/production.md advises for big tables: one under the
            # rebuild's name, and one already rebuilt in place.
            where = "WHERE fact_type = '{}'"
            await conn.execute(
                f"CREATE INDEX CONCURRENTLY {VECTOR_INDEXES['world']}_rebuilt ON memory_units"
                f" {HNSW} WITH (m = 24, ef_construction = 128) {where.format('world')}"
            )
            await conn.execute(f"DROP INDEX {VECTOR_INDEXES['observation']}")
            await conn.execute(
                f"CREATE INDEX {VECTOR_INDEXES['observation']} ON memory_units"
                f" {HNSW} WITH (m = 24, ef_construction = 128) {where.format('observation')}"
            )
            oid = await conn.fetchval(
                "SELECT to_regclass($1)::oid", f"{schema}.{VECTOR_INDEXES['observation']}"
            )
            await migrate(provider.url, schema=schema, revision="0014")
            after, indexes_after = await snapshot(conn), await indexes(conn, schema)
            kept = await conn.fetchval(
                "SELECT to_regclass($1)::oid", f"{schema}.{VECTOR_INDEXES['observation']}"
            )

        assert after == before  # every row of every table
        assert kept == oid  # the index that had the options was not rebuilt
        assert set(indexes_after) == set(indexes_before)  # no `_rebuilt` left over
        for ft in FACT_TYPES:
            assert indexes_after[VECTOR_INDEXES[ft]] == indexes_before[VECTOR_INDEXES[ft]].replace(
                OLD, NEW
            )
        others = set(indexes_before) - set(VECTOR_INDEXES.values())
        assert {n: indexes_after[n] for n in others} == {n: indexes_before[n] for n in others}
        await migrate(provider.url, schema=schema)  # any later revisions, on the same rows
        assert await schema_diff(provider.url, schema) == []

        async with open_store(provider.url, schema=schema, run_migrations=False) as store:
            rows = await store.recall.semantic("b1", embedding(1), fact_type="experience", k=5)
            assert [r["text"] for r in rows] == ["bob likes tea"]

        await asyncio.to_thread(downgrade_sync, provider.url, schema=schema, revision="0013")
        async with schema_connection(provider.url, schema) as conn:
            assert await snapshot(conn) == before
            assert await indexes(conn, schema) == indexes_before
    finally:
        await drop_schema(provider.url, schema)
