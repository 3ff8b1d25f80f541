"""Consolidation: unconsolidated units (oldest first, keyset, filters), marks, observation
updates with history, live sources and removing unsupported observations. Expected
values are computed in Python from what the test wrote."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from repo.errors import NotFoundError, ValidationError
from repo.models import MemoryIn, ObservationUpdate
from repo.store import Store
from tests.helpers import T0, embedding, unit
from tests.inspection import bank_row_counts

pytestmark = pytest.mark.integration


def _facts(n: int) -> list[MemoryIn]:
    """n world/experience units with tags tag0..tag2 (no observations)."""
    return [
        unit(i, fact_type=("world", "experience")[i % 2], tags=[f"tag{i % 3}"]) for i in range(n)
    ]


async def test_find_count_and_mark(store: Store, bank: str) -> None:
    units = _facts(12)
    ids = []
    for u in units:  # one call each: distinct created_at, in this order
        ids += await store.memories.retain(bank, [u])
    await store.memories.retain(bank, [unit(100, fact_type="observation")])
    expected = list(ids)  # oldest first
    c = store.consolidation

    assert await c.count_unconsolidated(bank) == 12
    page1 = await c.find_unconsolidated(bank, limit=5)
    page2 = await c.find_unconsolidated(bank, limit=5, after=page1[-1])
    page3 = await c.find_unconsolidated(bank, limit=5, after=page2[-1])
    assert [r["id"] for r in page1 + page2 + page3] == expected

    world = [i for i, u in zip(ids, units, strict=True) if u.fact_type == "world"]
    found = await c.find_unconsolidated(bank, fact_types=["world"])
    assert [r["id"] for r in found] == world
    tagged = [i for i, u in zip(ids, units, strict=True) if u.tags[0] in ("tag1", "tag2")]
    found = await c.find_unconsolidated(bank, tags=["tag1", "tag2"])
    assert [r["id"] for r in found] == tagged
    assert await c.count_unconsolidated(bank, tags=["tag1", "tag2"]) == len(tagged)
    assert await c.count_unconsolidated(bank, fact_types=["observation"]) == 1

    done, failed = ids[:4], ids[4:6]
    assert await c.mark_consolidated(bank, done + done[:1]) == 4
    assert await c.mark_failed(bank, failed + done[:1]) == 2  # consolidated ones untouched
    rest = [i for i in ids if i not in done + failed]
    assert [r["id"] for r in await c.find_unconsolidated(bank)] == rest
    assert await c.count_unconsolidated(bank) == len(rest)
    rows = {r["id"]: r for r in await store.memories.get(bank, ids)}
    assert all(rows[i]["consolidated_at"] is not None for i in done)
    assert all(rows[i]["consolidation_failed_at"] is None for i in done)
    assert all(rows[i]["consolidation_failed_at"] is not None for i in failed)

    # A failed unit marked consolidated loses its failure; reset makes units pending again.
    assert await c.mark_consolidated(bank, failed[:1]) == 1
    assert await c.reset(bank, done + failed) == 6
    assert await c.count_unconsolidated(bank) == 12


async def test_marks_are_bank_scoped(store: Store, bank: str) -> None:
    other = f"{bank}-other"
    await store.banks.create(other)
    [mine] = await store.memories.retain(bank, [unit(1)])
    assert await store.consolidation.mark_consolidated(other, [mine]) == 0
    assert await store.consolidation.count_unconsolidated(bank) == 1
    assert await store.consolidation.find_unconsolidated(other) == []


async def test_bad_input_is_rejected_before_sql(store: Store, bank: str) -> None:
    c = store.consolidation
    with pytest.raises(ValidationError):
        await c.find_unconsolidated(bank, fact_types=["nope"])
    with pytest.raises(ValidationError):
        await c.find_unconsolidated(bank, limit=0)
    with pytest.raises(ValidationError):
        await c.find_unconsolidated(bank, tags="tag1")
    with pytest.raises(ValidationError):
        await c.mark_consolidated(bank, [])
    with pytest.raises(ValidationError):
        await c.mark_failed(bank, ["not-a-uuid"])
    with pytest.raises(ValidationError):
        await c.count_unconsolidated("")


async def test_observation_update_and_history(store: Store, bank: str) -> None:
    srcs = await store.memories.retain(bank, [unit(i) for i in range(4)])
    obs = await store.observations.create(bank, "v1", embedding("v1"), srcs[:2], tags=["a"])
    start, end = T0 + timedelta(days=2), T0 + timedelta(days=3)
    first = ObservationUpdate(
        "v2", embedding("v2"), [srcs[1], srcs[2]], start, end, ["b", "a"], "merge"
    )
    row = await store.observations.update(bank, obs, first)
    assert row["text"] == "v2"
    assert row["tags"] == ["a", "b"]
    assert (row["occurred_start"], row["occurred_end"]) == (start, end)
    assert row["proof_count"] == 3  # 2 at creation + 1 new source (srcs[1] was there)

    second = ObservationUpdate(
        "v3", embedding("v3"), [srcs[3]], T0 + timedelta(days=1), T0 + timedelta(days=2)
    )
    row = await store.observations.update(bank, obs, second)
    assert (row["occurred_start"], row["occurred_end"]) == (T0 + timedelta(days=1), end)
    assert row["proof_count"] == 4 and row["tags"] == ["a", "b"]
    [full] = await store.memories.get(bank, [obs])
    assert list(full["embedding"]) == pytest.approx(embedding("v3"), abs=1e-6)
    sources = await store.observations.sources_of(bank, [obs])
    assert sorted(sources[obs]) == sorted(srcs)

    history = await store.observations.history(bank, obs)
    assert [h["previous_text"] for h in history] == ["v1", "v2"]
    assert [h["sources_added"] for h in history] == [[str(srcs[2])], [str(srcs[3])]]
    assert [h["reason"] for h in history] == ["merge", None]


async def test_observation_update_is_atomic_and_validated(store: Store, bank: str) -> None:
    srcs = await store.memories.retain(bank, [unit(1)])
    obs = await store.observations.create(bank, "v1", embedding("v1"), srcs)
    before = await bank_row_counts(store, bank)
    with pytest.raises(ValidationError):
        await store.observations.update(bank, obs, ObservationUpdate("v2", [0.1, 0.2]))
    with pytest.raises(ValidationError):
        await store.observations.update(bank, obs, ObservationUpdate("", embedding(1)))
    with pytest.raises(NotFoundError):
        await store.observations.update(bank, srcs[0], ObservationUpdate("x", embedding(1)))
    with pytest.raises(NotFoundError):
        await store.observations.update(bank, uuid.uuid4(), ObservationUpdate("x", embedding(1)))
    assert await bank_row_counts(store, bank) == before
    [row] = await store.memories.get(bank, [obs])
    assert row["text"] == "v1"


async def test_live_sources_and_delete_unsupported(store: Store, bank: str) -> None:
    srcs = await store.memories.retain(bank, [unit(i) for i in range(5)])
    a = await store.observations.create(bank, "a", embedding("a"), srcs[0:2])
    b = await store.observations.create(bank, "b", embedding("b"), srcs[2:4])
    c = await store.observations.create(bank, "c", embedding("c"), srcs[4:5])
    other = f"{bank}-other"
    await store.banks.create(other)
    [foreign_src] = await store.memories.retain(other, [unit(9)])
    foreign = await store.observations.create(other, "f", embedding("f"), [foreign_src])

    await store.memories.delete(bank, [srcs[0], srcs[2], srcs[3], srcs[4]])
    live = {o: await store.observations.live_sources(bank, o) for o in (a, b, c)}
    assert live == {a: [srcs[1]], b: [], c: []}
    assert await store.observations.delete_unsupported(bank) == 2
    remaining = await store.observations.find_by_sources(bank, srcs)
    assert [r["id"] for r in remaining] == [a]
    assert [r["id"] for r in await store.memories.get(other, [foreign])] == [foreign]
    assert await store.observations.live_sources(bank, foreign) == []
