"""Every arm applies the recall's fact types and the filter's similarity floor: the
temporal arm (hits and spread) and the graph arm keep `RecallQuery.fact_types` (and
`fact_types=` when called alone), and the temporal arm ranked by similarity keeps the
filter's `min_similarity`, alone and inside the combined recall. Also the occurred
range's edge cases: an end before the start is the start, an empty window matches
nothing."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import numpy as np
import pytest

from repo.models import (
    LinkIn,
    MemoryFilter,
    RecallFilter,
    RecallQuery,
    TemporalQuery,
    TimeWindow,
)
from repo.store import Store
from tests.helpers import embedding, near, unit
from tests.test_recall_temporal import END, MID, START

pytestmark = pytest.mark.integration

H = timedelta(hours=1)
TYPES = ("world", "experience", "observation")


async def _mixed_bank(store: Store, bank: str) -> tuple[list[uuid.UUID], dict[uuid.UUID, str]]:
    """18 units in the window, 6 of each fact type, all near the query, sharing one
    entity, each linked (temporal, semantic, causal) to the next one and to the next of its
    type: every arm can reach every fact type."""
    q = embedding("query")
    units = [
        unit(i, fact_type=TYPES[i % 3], embedding=near(q, i, noise=0.02 * (i + 1)),
             event_date=MID + i * H, text=f"tea note {i}", entities=["shared"])
        for i in range(18)
    ]  # fmt: skip
    ids = await store.memories.retain(bank, units)
    links = [
        LinkIn(ids[i], ids[i + step], link_type, 0.9)
        for step in (1, 3)  # the next unit (another type) and the next of the same type
        for i in range(18 - step)
        for link_type in ("temporal", "semantic", "causal")
    ]
    await store.memories.add_links(bank, links)
    return ids, {uid: TYPES[i % 3] for i, uid in enumerate(ids)}


async def test_temporal_and_graph_arms_keep_the_recalls_fact_types(store: Store, bank: str) -> None:
    ids, types = await _mixed_bank(store, bank)
    temporal = TemporalQuery(START, END, k=5, spread=5)
    for chosen in (("world",), ("experience", "observation")):
        query = RecallQuery(
            embedding("query"),
            text="tea",
            fact_types=chosen,
            temporal=temporal,
            k_graph=50,
            seeds=2,
        )
        result = await store.recall.recall(bank, query)
        assert {r["arm"] for r in result.temporal} == {"temporal", "temporal:spread"}
        assert {r["arm"] for r in result.graph} >= {"graph:link", "graph:entity"}
        for arm in (result.temporal, result.graph, result.text):
            assert arm and {r["fact_type"] for r in arm} <= set(chosen), (chosen, arm)
        assert {f.row["fact_type"] for f in result.fused} <= set(chosen)

        alone = await store.recall.temporal(bank, START, END, k=5, spread=5, fact_types=chosen)
        assert [(r["id"], r["arm"]) for r in alone] == [
            (r["id"], r["arm"]) for r in result.temporal
        ]
        every = await store.recall.temporal(bank, START, END, k=100, spread=0)
        expected = [r["id"] for r in every if types[r["id"]] in chosen][:5]
        assert [r["id"] for r in alone if r["arm"] == "temporal"] == expected

        seeds = ids[:3]
        graph = await store.recall.expand(bank, seeds, k=50, fact_types=chosen)
        assert graph and {r["fact_type"] for r in graph} <= set(chosen)
        unrestricted = await store.recall.expand(bank, seeds, k=50)
        assert {(r["id"], r["arm"]) for r in graph} == {
            (r["id"], r["arm"]) for r in unrestricted if types[r["id"]] in chosen
        }


async def test_the_filters_similarity_floor_reaches_the_temporal_arm(
    store: Store, bank: str
) -> None:
    ids, _ = await _mixed_bank(store, bank)
    q = embedding("query")
    sims = {
        r["id"]: float(np.asarray(q) @ np.asarray(r["embedding"]))
        for r in await store.memories.get(bank, ids)
    }
    ordered = sorted(sims.values())
    floor = (ordered[len(ordered) // 2 - 1] + ordered[len(ordered) // 2]) / 2  # keeps half
    where = RecallFilter(min_similarity=floor)
    rows = await store.recall.temporal(
        bank, START, END, rank="similarity", embedding=q, where=where, spread=0
    )
    expected = sorted((uid for uid in ids if sims[uid] >= floor), key=lambda u: -sims[u])
    assert 0 < len(expected) < len(ids)
    assert [r["id"] for r in rows] == expected

    temporal = TemporalQuery(START, END, rank="similarity", spread=0)
    result = await store.recall.recall(bank, RecallQuery(q, where=where, temporal=temporal))
    assert [r["id"] for r in result.temporal] == expected
    assert all(float(r["score"]) >= floor for rows in result.semantic.values() for r in rows)

    # Ranked by closeness the arm's score is no similarity: the floor does not apply.
    by_closeness = await store.recall.temporal(bank, START, END, where=where, spread=0)
    assert {r["id"] for r in by_closeness} == set(ids)


async def test_an_end_before_the_start_is_the_start_and_an_empty_window_matches_nothing(
    store: Store, bank: str
) -> None:
    units = [
        unit(0, event_date=None, occurred_start=MID, occurred_end=START - H),  # inverted
        unit(1, event_date=None, occurred_start=END + H, occurred_end=START),  # inverted, after
        unit(2, event_date=None, occurred_start=START - H, occurred_end=END + H),  # covers
    ]
    inverted, after, covers = await store.memories.retain(bank, units)
    rows = await store.recall.temporal(bank, START, END, on=["occurred"], spread=0)
    assert {r["id"] for r in rows} == {inverted, covers}
    listed = await store.memories.list(bank, _occurred(START, END))
    assert {r["id"] for r in listed} == {inverted, covers}
    assert after not in {r["id"] for r in listed}

    for start, end in ((MID, MID), (END, START)):  # empty, and ending before it starts
        empty = await store.recall.temporal(bank, start, end, spread=0)
        assert empty == [], (start, end)
    assert await store.memories.list(bank, _occurred(MID, MID)) == []


def _occurred(start: datetime, end: datetime) -> MemoryFilter:
    return MemoryFilter(where=RecallFilter(occurred=TimeWindow(start, end)))
