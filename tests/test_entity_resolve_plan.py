"""`entities.resolve` on PostgreSQL answers each name from the trigram GiST index
(`ix_entities_name_trgm`, a nearest-neighbour index scan), in the plan of the statement as
the repository runs it, on a bank with enough entities that a scan would cost more."""

from __future__ import annotations

import pytest

from repo.models import MemoryIn
from repo.store import Store
from tests.helpers import embedding

pytestmark = [pytest.mark.integration, pytest.mark.postgresql_only]

ENTITIES = 6000


def _units(bank_entities: int) -> list[MemoryIn]:
    return [
        MemoryIn(
            text=f"unit {i}",
            embedding=embedding(i % 50),
            fact_type="world",
            entities=[f"person {i} {w}" for w in ("alpha", "beta", "gamma")],
        )
        for i in range(bank_entities // 3)
    ]


async def test_resolve_plan_uses_the_trigram_index(fresh_store: Store) -> None:
    from repo.backends.postgres import DIALECT, PostgresBackend
    from repo.repositories.entity_graph import RESOLVE

    store = fresh_store
    assert isinstance(store.backend, PostgresBackend)
    bank, other = "resolve-plan", "resolve-other"
    for b in (bank, other):
        await store.banks.create(b)
        units = _units(ENTITIES)
        for start in range(0, len(units), 500):
            await store.memories.retain(b, units[start : start + 500])
    names = ["person 17 alpah", "persn 1999 gamma"]
    found = await store.entities.resolve(bank, names, min_similarity=0.3)
    assert [r["canonical_name"] if r else None for r in found] == [
        "person 17 alpha", "person 1999 gamma",
    ]  # fmt: skip
    compiled = RESOLVE.compiled(DIALECT)
    args = compiled.args({"bank_id": bank, "names": names, "min_similarity": 0.3})
    async with store.backend.pool.acquire() as conn, conn.transaction():
        await conn.execute("ANALYZE entities")
        plans = []
        # The plan for these values, then the generic plan a prepared statement may settle on.
        for mode in ("force_custom_plan", "force_generic_plan"):
            await conn.execute(f"SET LOCAL plan_cache_mode = {mode}")
            rows = await conn.fetch("EXPLAIN " + compiled.sql, *args)
            plans.append("\n".join(r[0] for r in rows))
    for plan in plans:
        assert "Index Scan using ix_entities_name_trgm on entities" in plan, plan
        assert "Order By: ((canonical_name)::text OPERATOR(public.<->)" in plan, plan
        assert "Seq Scan" not in plan and "Bitmap" not in plan, plan
