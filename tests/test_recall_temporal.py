"""The temporal arm: window overlap on each unit time (edges included), ranking by
closeness or by similarity with a floor, one hop of spreading over temporal and causal
links (bank-scoped, filtered), and the arm inside the combined recall. Expected results
are computed in Python from what was stored."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest

from repo.errors import ValidationError
from repo.models import LinkIn, RecallFilter, RecallQuery, TemporalQuery
from repo.store import Store
from tests.helpers import T0, embedding, near, unit
from tests.inspection import spied

pytestmark = pytest.mark.integration

START, END = T0 + timedelta(days=10), T0 + timedelta(days=20)
MID, HALF = START + (END - START) / 2, (END - START) / 2
US = timedelta(microseconds=1)
H = timedelta(hours=1)

#: (label, event_date, occurred_start, occurred_end, mentioned_at) around the window.
EDGES: list[tuple[str, Any, Any, Any, Any]] = [
    ("event at start", START, None, None, None),
    ("event just before start", START - US, None, None, None),
    ("event just before end", END - US, None, None, None),
    ("event at end", END, None, None, None),
    ("range ends at start", None, START - 5 * H, START, None),
    ("range ends just before start", None, START - 5 * H, START - US, None),
    ("range starts just before end", None, END - US, END + 5 * H, None),
    ("range starts at end", None, END, END + 5 * H, None),
    ("range covers the window", None, START - 9 * H, END + 9 * H, None),
    ("open range starts inside", None, MID, None, None),
    ("open range starts before", None, START - H, None, None),
    ("mention at start", None, None, None, START),
    ("mention just before start", None, None, None, START - US),
    ("mention at end", None, None, None, END),
    ("event before, mention inside", START - 3 * H, None, None, MID + H),
]


def _overlaps(field: str, e: Any, os_: Any, oe: Any, m: Any) -> bool:
    if field == "event_date":
        return e is not None and START <= e < END
    if field == "mentioned_at":
        return m is not None and START <= m < END
    return os_ is not None and max(os_, oe or os_) >= START and os_ < END


def _closeness(on: tuple[str, ...], e: Any, os_: Any, oe: Any, m: Any) -> float:
    def dist(t: datetime) -> float:
        return abs((t - MID).total_seconds())

    distances = []
    if "event_date" in on and e is not None:
        distances.append(dist(e))
    if "mentioned_at" in on and m is not None:
        distances.append(dist(m))
    if "occurred" in on and os_ is not None:
        last = max(os_, oe or os_)
        distances.append(max((os_ - MID).total_seconds(), (MID - last).total_seconds(), 0.0))
    return 1.0 - min(distances) / HALF.total_seconds()


async def _edge_bank(store: Store, bank: str) -> dict[uuid.UUID, tuple[Any, ...]]:
    units = [
        unit(i, text=label, event_date=e, occurred_start=os_, occurred_end=oe, mentioned_at=m)
        for i, (label, e, os_, oe, m) in enumerate(EDGES)
    ]
    ids = await store.memories.retain(bank, units)
    return dict(zip(ids, EDGES, strict=True))


@pytest.mark.parametrize(
    "on",
    [("event_date",), ("occurred",), ("mentioned_at",), ("event_date", "occurred", "mentioned_at")],
)
async def test_window_overlap_at_the_edges_for_each_time(
    store: Store, bank: str, on: tuple[str, ...]
) -> None:
    stored = await _edge_bank(store, bank)
    rows = await store.recall.temporal(bank, START, END, on=on, spread=0)
    expected = {
        uid: _closeness(on, *times)
        for uid, (_, *times) in stored.items()
        if any(_overlaps(f, *times) for f in on)
    }
    labels = {stored[r["id"]][0] for r in rows}
    assert labels == {stored[uid][0] for uid in expected}
    assert all(r["arm"] == "temporal" for r in rows)
    for r in rows:  # closeness: 1 at the middle, 0 at the edges, the unit's nearest time
        assert float(r["score"]) == pytest.approx(expected[r["id"]], abs=1e-6)
    scores = [float(r["score"]) for r in rows]
    assert scores == sorted(scores, reverse=True)
    if on == ("occurred",):
        assert "range covers the window" in labels and "range starts at end" not in labels
    if len(on) == 3:  # one time inside is enough; the inside one ranks it
        assert "event before, mention inside" in labels


async def test_k_keeps_the_closest_units(store: Store, bank: str) -> None:
    hours = list(range(0, 240, 7))
    ids = await store.memories.retain(
        bank, [unit(i, event_date=START + h * H) for i, h in enumerate(hours)]
    )
    rows = await store.recall.temporal(bank, START, END, k=5, spread=0)
    by_distance = sorted(zip(ids, hours, strict=True), key=lambda p: abs(START + p[1] * H - MID))
    assert [r["id"] for r in rows] == [uid for uid, _ in by_distance[:5]]


async def test_similarity_ranking_with_a_floor(store: Store, bank: str) -> None:
    q = embedding("query")
    vectors = [near(q, i, noise=0.01 * i) for i in range(30)]
    hours = [i * 13 % 240 - (0 if i % 4 else 20) for i in range(30)]  # some before START
    units = [
        unit(i, embedding=v, event_date=START + h * H)
        for i, (v, h) in enumerate(zip(vectors, hours, strict=True))
    ]
    ids = await store.memories.retain(bank, units)
    floor = 0.5
    rows = await store.recall.temporal(
        bank, START, END, on=["event_date"], rank="similarity", embedding=q,
        min_similarity=floor, spread=0,
    )  # fmt: skip
    qv = np.asarray(q)
    sims = {uid: float(qv @ v / np.linalg.norm(v)) for uid, v in zip(ids, vectors, strict=True)}
    expected = [
        uid
        for uid, u in zip(ids, units, strict=True)
        if START <= u.event_date < END and sims[uid] >= floor  # type: ignore[operator]
    ]
    expected.sort(key=lambda uid: -sims[uid])
    assert expected and len(expected) < len(ids)
    assert [r["id"] for r in rows] == expected
    for r in rows:
        assert float(r["score"]) == pytest.approx(sims[r["id"]], abs=1e-5)


async def test_spread_follows_temporal_and_causal_links_in_both_directions(
    store: Store, bank: str
) -> None:
    inside = [unit(i, event_date=MID + i * H) for i in range(2)]
    outside = [unit(10 + i, event_date=T0, tags=["private" if i == 4 else "ok"]) for i in range(6)]
    h0, h1, *o = await store.memories.retain(bank, inside + outside)
    await store.memories.add_links(bank, [
        LinkIn(h0, o[0], "temporal", 0.5),  # forward
        LinkIn(o[1], h0, "causal", 0.8),  # backward
        LinkIn(h1, o[1], "temporal", 0.2),  # a second, weaker way to o[1]
        LinkIn(h1, o[2], "semantic", 1.0),  # not a temporal or causal link
        LinkIn(h1, o[3], "entity", 1.0),
        LinkIn(h1, o[4], "temporal", 0.9),  # filtered out (private)
        LinkIn(o[0], o[5], "temporal", 1.0),  # two hops away
        LinkIn(h0, h1, "temporal", 1.0),  # between hits: h1 stays a hit
    ])  # fmt: skip
    other = f"{bank}-other"  # the same shape in another bank: never reached from this one
    await store.banks.create(other)
    x = await store.memories.retain(other, [unit(20, event_date=MID), unit(21, event_date=T0)])
    await store.memories.add_links(other, [LinkIn(x[0], x[1], "temporal", 1.0)])

    where = RecallFilter(exclude_tags=["private"])
    rows = await store.recall.temporal(bank, START, END, where=where)
    hits = {r["id"]: float(r["score"]) for r in rows if r["arm"] == "temporal"}
    spread = {r["id"]: float(r["score"]) for r in rows if r["arm"] == "temporal:spread"}
    assert set(hits) == {h0, h1}
    expected = {o[0]: hits[h0] * 0.5, o[1]: max(hits[h0] * 0.8, hits[h1] * 0.2)}
    assert spread.keys() == expected.keys()
    for uid, score in expected.items():
        assert spread[uid] == pytest.approx(score, abs=1e-6)
    assert [r["arm"] for r in rows] == ["temporal"] * 2 + ["temporal:spread"] * 2
    unfiltered = await store.recall.temporal(bank, START, END)
    assert {r["id"] for r in unfiltered if r["arm"] == "temporal:spread"} == {o[0], o[1], o[4]}
    capped = await store.recall.temporal(bank, START, END, spread=1, where=where)
    assert [r["id"] for r in capped if r["arm"] == "temporal:spread"] == [
        max(expected, key=lambda uid: expected[uid])
    ]


async def test_combined_recall_runs_the_temporal_arm_in_the_first_round_trip(
    store: Store, bank: str
) -> None:
    units = [unit(i, event_date=START + i * 6 * H, text=f"note {i} about tea") for i in range(30)]
    ids = await store.memories.retain(bank, units)
    await store.memories.add_links(
        bank, [LinkIn(ids[i], ids[i + 1], "causal", 0.7) for i in range(29)]
    )
    where = RecallFilter(tags=["tag1", "tag2", "tag3"])
    temporal = TemporalQuery(START, START + 2 * timedelta(days=1), k=4, spread=3)
    spy_store, spy = spied(store)
    query = RecallQuery(
        embedding(2), text="tea", k_semantic=5, k_text=5, where=where, temporal=temporal,
        weights={"temporal": 2.0},
    )  # fmt: skip
    result = await spy_store.recall.recall(bank, query)
    assert len([c for c in spy.calls if c[0] == "fetch"]) <= 3
    alone = await store.recall.temporal(
        bank, temporal.start, temporal.end, k=4, spread=3, where=where
    )
    assert [(r["id"], r["arm"]) for r in result.temporal] == [(r["id"], r["arm"]) for r in alone]
    assert any(r["arm"] == "temporal:spread" for r in alone)
    fused = {f.id: f for f in result.fused}
    for rank, row in enumerate([r for r in alone if r["arm"] == "temporal"], start=1):
        assert fused[row["id"]].ranks["temporal"] == rank


BAD: dict[str, dict[str, Any]] = {
    "unknown time": {"on": ["created_at"]},
    "no time": {"on": []},
    "time as a string": {"on": "event_date"},
    "unknown rank": {"rank": "recency"},
    "floor with closeness": {"min_similarity": 0.3},
    "floor out of range": {"rank": "similarity", "min_similarity": 1.5},
    "similarity without embedding": {"rank": "similarity"},
    "negative spread": {"spread": -1},
    "k zero": {"k": 0},
}


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
async def test_bad_temporal_queries_are_validation_errors_before_any_sql(
    store: Store, bank: str, bad: dict[str, Any]
) -> None:
    spy_store, spy = spied(store)
    with pytest.raises(ValidationError):
        await spy_store.recall.temporal(bank, START, END, **bad)
    if bad != {"rank": "similarity"}:  # the combined recall always has an embedding
        query = RecallQuery(embedding(1), temporal=TemporalQuery(START, END, **bad))
        with pytest.raises(ValidationError):
            await spy_store.recall.recall(bank, query)
    assert spy.calls == []
