"""Observations: sources on the array column (PostgreSQL) or the junction table (Oracle)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from repo.sql import Statement
from repo.store import Store
from schema.tables import observation_sources
from tests.helpers import embedding, unit

pytestmark = pytest.mark.integration

COUNT_SOURCES = Statement(
    "test.count_observation_sources",
    sa.select(sa.func.count())
    .select_from(observation_sources)
    .where(observation_sources.c.bank_id == sa.bindparam("bank_id")),
    register=False,
)


async def test_create_find_and_delete_by_sources(store: Store, bank: str) -> None:
    ids = await store.memories.retain(bank, [unit(i) for i in range(4)])
    a = await store.observations.create(bank, "a and b", embedding("o1"), [ids[0], ids[1], ids[0]])
    b = await store.observations.create(bank, "c", embedding("o2"), [ids[2]])
    found = await store.observations.find_by_sources(bank, [ids[1], ids[2]])
    assert [r["id"] for r in found] == [a, b]
    assert (await store.observations.find_by_sources(bank, [ids[3]])) == []
    sources = await store.observations.sources_of(bank, [a])
    assert sorted(map(str, sources[a])) == sorted(map(str, ids[:2]))
    [row] = await store.memories.get(bank, [a])
    assert row["fact_type"] == "observation" and row["proof_count"] == 2
    assert await store.observations.delete_stale(bank, [ids[0]]) == 1
    assert [r["id"] for r in await store.observations.find_by_sources(bank, ids)] == [b]


async def test_storage_follows_the_capability(store: Store, bank: str) -> None:
    ids = await store.memories.retain(bank, [unit(1)])
    obs = await store.observations.create(bank, "x", embedding("o"), ids)
    junction_rows = await store.backend.fetchval(COUNT_SOURCES, {"bank_id": bank})
    [row] = await store.memories.get(bank, [obs])
    if store.backend.capabilities.uses_observation_sources_table:
        assert junction_rows == 1 and row["source_memory_ids"] is None
    else:
        assert junction_rows == 0  # PostgreSQL never writes the junction table
        assert list(row["source_memory_ids"]) == ids
