"""The graph arm: links in both directions with per-link-type weights, the per-entity
fan-out cap on a hub entity, observations citing the seeds, validation before any SQL, and
the combined recall still in three round trips. Expected results are computed in Python
from what was stored."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from repo.errors import ValidationError
from repo.models import GraphQuery, LinkIn, RecallFilter, RecallQuery
from repo.store import Store
from schema.tables import LINK_TYPES
from tests.helpers import embedding, unit
from tests.inspection import spied

pytestmark = pytest.mark.integration


def _arm(rows: list[Any], arm: str) -> dict[uuid.UUID, float]:
    return {r["id"]: float(r["score"]) for r in rows if r["arm"] == arm}


async def test_links_are_followed_both_ways_and_weighted_per_type(store: Store, bank: str) -> None:
    ids = await store.memories.retain(bank, [unit(i) for i in range(8)])
    seed, a, b, c, d, e, far, _ = ids
    links = [
        LinkIn(seed, a, "temporal", 0.9),  # out
        LinkIn(b, seed, "causal", 0.6),  # in
        LinkIn(seed, c, "semantic", 0.8),
        LinkIn(d, seed, "entity", 0.5),
        LinkIn(e, seed, "temporal", 0.3),  # e is reached twice: the best product counts
        LinkIn(seed, e, "semantic", 0.7),
        LinkIn(a, far, "temporal", 1.0),  # two hops: never reached
    ]
    await store.memories.add_links(bank, links)
    for weights in (None, {"temporal": 0.5, "causal": 2.0, "entity": 0.0}, {"semantic": 3.0}):
        graph = GraphQuery(link_weights=weights, observations=False)
        rows = await store.recall.expand(bank, [seed], k=10, graph=graph)
        w = {t: (weights or {}).get(t, 1.0) for t in LINK_TYPES}
        expected: dict[uuid.UUID, float] = {}
        for link in links:
            if seed not in (link.from_id, link.to_id) or w[link.link_type] == 0:
                continue
            other = link.to_id if link.from_id == seed else link.from_id
            score = link.weight * w[link.link_type]
            expected[other] = max(expected.get(other, 0.0), score)
        got = _arm(rows, "graph:link")
        assert got.keys() == expected.keys(), weights
        for uid, score in expected.items():
            assert got[uid] == pytest.approx(score)
    # k keeps the best-weighted: with causal x2, b (1.2) then a (0.9)
    weighted = GraphQuery(link_weights={"causal": 2.0}, observations=False)
    top = await store.recall.expand(bank, [seed], k=2, graph=weighted)
    assert _arm(top, "graph:link").keys() == {b, a}


async def test_a_hub_entity_contributes_at_most_its_fanout_best_ranked(
    store: Store, bank: str
) -> None:
    seeds = await store.memories.retain(
        bank, [unit(0, entities=["hub", "rare"]), unit(1, entities=["hub"])]
    )
    hub_units = [
        unit(10 + i, entities=["hub", "rare"] if i % 100 == 0 else ["hub"]) for i in range(2000)
    ]
    others: list[uuid.UUID] = []
    for start in range(0, len(hub_units), 500):
        others += await store.memories.retain(bank, hub_units[start : start + 500])
    rows = {r["id"]: r for r in await store.memories.list(bank, limit=10_000)}
    mentions = {uid: (2 if i % 100 == 0 else 1) for i, uid in enumerate(others)}
    entities_of = {
        uid: ({"hub", "rare"} if i % 100 == 0 else {"hub"}) for i, uid in enumerate(others)
    }

    def place(uid: uuid.UUID) -> tuple[int, float, str]:
        return (-mentions[uid], -rows[uid]["created_at"].timestamp(), str(uid))

    cap, k = 40, 500
    graph = GraphQuery(entity_fanout=cap, observations=False)
    got = _arm(await store.recall.expand(bank, seeds, k=k, graph=graph), "graph:entity")
    kept: set[uuid.UUID] = set()
    for entity in ("hub", "rare"):
        candidates = sorted((u for u in others if entity in entities_of[u]), key=place)
        kept |= set(candidates[:cap])
    assert got.keys() == kept  # the best-ranked of each entity, nothing else
    assert len(got) <= 2 * cap < len(others)
    assert all(got[u] == mentions[u] for u in got)
    assert {u for u in others if mentions[u] == 2} <= got.keys()  # the 20 sharing both
    # k bounds the total; the best-scored come first
    few = _arm(await store.recall.expand(bank, seeds, k=5, graph=graph), "graph:entity")
    assert few.keys() == set(sorted(kept, key=place)[:5])
    # default cap: a hub still cannot pull all of its units
    default = _arm(await store.recall.expand(bank, seeds, k=k), "graph:entity")
    assert len(default) <= 2 * GraphQuery().entity_fanout


async def test_observations_citing_seeds_are_returned_filtered(store: Store, bank: str) -> None:
    ids = await store.memories.retain(bank, [unit(i) for i in range(6)])
    s1, s2, s3, x, y, _ = ids
    both = await store.observations.create(bank, "both", embedding("o1"), [s1, s2, x])
    one = await store.observations.create(bank, "one", embedding("o2"), [s3, y])
    await store.observations.create(bank, "none", embedding("o3"), [x, y])
    hidden = await store.observations.create(
        bank, "private", embedding("o4"), [s1], tags=["private"]
    )
    rows = await store.recall.expand(bank, [s1, s2, s3], k=10)
    assert _arm(rows, "graph:observation") == {both: 2.0, one: 1.0, hidden: 1.0}
    best = await store.recall.expand(bank, [s1, s2, s3], k=1)  # k keeps the most cited
    assert _arm(best, "graph:observation") == {both: 2.0}
    where = RecallFilter(exclude_tags=["private"])
    filtered = await store.recall.expand(bank, [s1, s2, s3], k=10, where=where)
    assert _arm(filtered, "graph:observation") == {both: 2.0, one: 1.0}
    off = await store.recall.expand(bank, [s1], graph=GraphQuery(observations=False))
    assert not _arm(off, "graph:observation")
    other = f"{bank}-b"  # another bank's observation of the same ids is never reached
    await store.banks.create(other)
    twin = await store.memories.retain(other, [unit(0)])
    await store.observations.create(other, "twin", embedding("o5"), twin)
    assert not _arm(await store.recall.expand(bank, twin, k=10), "graph:observation")


async def test_combined_recall_with_graph_options_in_three_round_trips(
    store: Store, bank: str
) -> None:
    units = [unit(i, entities=["hub" if i % 2 else f"p{i}"], text=f"tea {i}") for i in range(40)]
    ids = await store.memories.retain(bank, units)
    await store.memories.add_links(
        bank, [LinkIn(ids[i + 1], ids[i], "causal", 0.9) for i in range(39)]
    )
    await store.observations.create(bank, "obs", embedding("o"), ids[:10])
    spy_store, spy = spied(store)
    graph = GraphQuery(link_weights={"causal": 0.5}, entity_fanout=3)
    query = RecallQuery(embedding(3), text="tea", k_semantic=5, k_text=5, seeds=6, graph=graph)
    result = await spy_store.recall.recall(bank, query)
    assert len([c for c in spy.calls if c[0] == "fetch"]) <= 3
    arms = {r["arm"] for r in result.graph}
    assert {"graph:link", "graph:entity"} <= arms
    assert len(_arm(result.graph, "graph:entity")) <= 3 * 6  # at most 3 per seed entity
    assert all(s <= 0.45 + 1e-9 for s in _arm(result.graph, "graph:link").values())
    ranked = {arm for f in result.fused for arm in f.ranks}
    assert arms <= ranked


BAD_GRAPHS: dict[str, Any] = {
    "unknown link type": GraphQuery(link_weights={"friend": 1.0}),
    "negative weight": GraphQuery(link_weights={"causal": -1.0}),
    "nan weight": GraphQuery(link_weights={"causal": float("nan")}),
    "weight as text": GraphQuery(link_weights={"causal": "1"}),  # type: ignore[dict-item]
    "weights as a list": GraphQuery(link_weights=[1.0]),  # type: ignore[arg-type]
    "fan-out zero": GraphQuery(entity_fanout=0),
    "fan-out as float": GraphQuery(entity_fanout=2.5),  # type: ignore[arg-type]
    "observations as text": GraphQuery(observations="yes"),  # type: ignore[arg-type]
    "not a GraphQuery": {"entity_fanout": 3},
}


@pytest.mark.parametrize("graph", BAD_GRAPHS.values(), ids=BAD_GRAPHS.keys())
async def test_bad_graph_queries_are_validation_errors_before_any_sql(
    store: Store, bank: str, graph: Any
) -> None:
    spy_store, spy = spied(store)
    with pytest.raises(ValidationError):
        await spy_store.recall.expand(bank, [uuid.uuid4()], graph=graph)
    with pytest.raises(ValidationError):
        await spy_store.recall.recall(bank, RecallQuery(embedding(1), graph=graph))
    assert spy.calls == []
