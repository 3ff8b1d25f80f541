"""The bulk-import recipe of docs/production.md: drop the vector index, retain in
batches, build the index once. Reads work throughout; afterwards the schema is exactly
the migration's."""

from __future__ import annotations

import asyncpg
import pytest

from repo.models import RecallQuery
from schema.tables import VECTOR_INDEXES, metadata_for_dim
from tests.conftest import store_on_new_schema
from tests.helpers import embedding, unit
from tests.providers import Provider
from tests.test_migrations import schema_diff

pytestmark = pytest.mark.integration

INDEXES = list(VECTOR_INDEXES.values())
BUILD = [
    "SET maintenance_work_mem = '1GB'",
    *(
        f"CREATE INDEX CONCURRENTLY {VECTOR_INDEXES[ft]} ON memory_units"
        " USING hnsw (embedding vector_cosine_ops) WITH (m = 24, ef_construction = 128)"
        f" WHERE fact_type = '{ft}'"
        for ft in VECTOR_INDEXES
    ),
    "VACUUM (ANALYZE) memory_units",
]


async def test_load_then_build_the_index_once(provider: Provider) -> None:
    if provider.backend != "postgresql":
        pytest.skip("the steps are PostgreSQL DDL; docs/production.md says what Oracle needs")
    async with store_on_new_schema(provider, max_size=2) as store:
        conn = await asyncpg.connect(
            provider.url, server_settings={"search_path": f'"{store.schema}", public'}
        )
        try:
            definitions = (
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1"
                " AND indexname = ANY($2::text[])"
            )
            before = dict(await conn.fetch(definitions, store.schema, INDEXES))
            assert len(before) == 3
            await conn.execute("DROP INDEX IF EXISTS " + ", ".join(INDEXES))
            await store.banks.create("b")
            for start in range(0, 90, 30):  # retain in batches
                await store.memories.retain("b", [unit(i) for i in range(start, start + 30)])
                exact = await store.recall.semantic("b", embedding(6), fact_type="world", k=30)
                assert len(exact) == (start + 30) // 3  # reads go on: every world unit
            without_index = [r["id"] for r in exact]
            for sql in BUILD:
                await conn.execute(sql)
            after = dict(await conn.fetch(definitions, store.schema, INDEXES))
        finally:
            await conn.close()
        assert after == before
        assert await schema_diff(provider.url, store.schema, metadata_for_dim(store.dim)) == []
        assert await store.memories.count("b") == 90
        nearest = await store.recall.semantic("b", embedding(6), fact_type="world", k=1)
        assert nearest[0]["id"] == without_index[0]  # unit 6 itself, by index or by scan
        result = await store.recall.recall("b", RecallQuery(embedding=embedding(6), k_semantic=5))
        assert len(result.semantic["world"]) == 5
