"""Entity resolution (fuzzy, one round trip per batch), co-occurrence kept true by retain,
delete and re-ingest, related entities, first/last seen. Expected values are computed in
Python from what the test wrote."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import timedelta

import pytest

from repo.errors import ValidationError
from repo.models import MemoryIn
from repo.store import Store
from tests.helpers import T0, embedding, unit
from tests.inspection import SpyBackend, spied

pytestmark = pytest.mark.integration

NAMES = ["Alice Johnson", "Bob Smith", "Charlotte Brontë", "Acme Corporation", "Zurich"]


async def test_resolve_finds_the_best_spelling_in_one_round_trip(store: Store, bank: str) -> None:
    await store.memories.retain(bank, [unit(i, entities=[n]) for i, n in enumerate(NAMES)])
    queries = ["alice jonson", "BOB SMITH", "Charlotte Bronte", "Acme Corp", "nothing like it"]
    spy = SpyBackend(store.backend)
    entities = type(store.entities)(spy, dim=store.dim)
    found = await entities.resolve(bank, queries, min_similarity=0.4)
    assert [v for v, _, _ in spy.calls] == ["fetch"]  # one round trip for the batch
    assert [r["name"] if r else None for r in found] == [
        "Alice Johnson", "Bob Smith", "Charlotte Brontë", "Acme Corporation", None,
    ]  # fmt: skip
    assert found[1] is not None and found[1]["similarity"] == pytest.approx(1.0)
    assert all(r is None or 0.4 <= r["similarity"] <= 1.0 for r in found)
    # A threshold of 1 keeps exact (folded) matches only; another bank sees nothing.
    exact = await store.entities.resolve(bank, queries, min_similarity=1.0)
    assert [r["name"] if r else None for r in exact] == [None, "Bob Smith", None, None, None]
    other = f"{bank}-other"
    await store.banks.create(other)
    assert await store.entities.resolve(other, queries, min_similarity=0.0) == [None] * 5


async def test_resolve_validates_before_sql(store: Store, bank: str) -> None:
    for names, threshold in (([], 0.5), ("alice", 0.5), ([""], 0.5), (["  "], 0.5),
                             (["a"], 1.5), (["a"], float("nan")), (["a"], True)):  # fmt: skip
        with pytest.raises(ValidationError):
            await store.entities.resolve(bank, names, min_similarity=threshold)  # type: ignore[arg-type]


async def test_first_and_last_seen(store: Store, bank: str) -> None:
    units = [
        unit(i, entities=["x"] + (["y"] if i % 2 else []), event_date=T0 + timedelta(days=i))
        for i in range(5)
    ]
    ids = await store.memories.retain(bank, units)
    x = await store.entities.by_name(bank, "x")
    y = await store.entities.by_name(bank, "y")
    seen = await store.entities.seen(bank, [x["id"], y["id"]])
    assert seen == {
        x["id"]: (T0, T0 + timedelta(days=4)),
        y["id"]: (T0 + timedelta(days=1), T0 + timedelta(days=3)),
    }
    await store.memories.invalidate(bank, [ids[4]])
    seen = await store.entities.seen(bank, [x["id"]])
    assert seen[x["id"]] == (T0, T0 + timedelta(days=3))


def _expected_pairs(mentions: dict[object, list[str]]) -> Counter[tuple[str, str]]:
    out: Counter[tuple[str, str]] = Counter()
    for names in mentions.values():
        found = {n.casefold() for n in names}
        out.update((a, b) for a, b in itertools.permutations(sorted(found), 2))
    return out


async def _stored_pairs(store: Store, bank: str, names: set[str]) -> Counter[tuple[str, str]]:
    """Every stored pair, read back through `related` from each entity."""
    out: Counter[tuple[str, str]] = Counter()
    for name in sorted(names):
        try:
            entity = await store.entities.by_name(bank, name)
        except Exception:
            continue
        for row in await store.entities.related(bank, entity["id"], k=100):
            out[(entity["canonical_name"], row["canonical_name"])] = row["shared_units"]
    return out


async def test_cooccurrences_follow_retain_delete_and_reingest(store: Store, bank: str) -> None:
    sets = [["a", "b", "c"], ["a", "b"], ["b", "c"], ["a"], ["c", "d", "A"], ["d", "b"]]
    ids = await store.memories.retain(bank, [unit(i, entities=s) for i, s in enumerate(sets)])
    mentions: dict[object, list[str]] = dict(zip(ids, sets, strict=True))
    names = {n.casefold() for s in sets for n in s}
    assert await _stored_pairs(store, bank, names) == _expected_pairs(mentions)

    b = await store.entities.by_name(bank, "b")
    related = await store.entities.related(bank, b["id"], k=2)
    expected = sorted(
        ((n, c) for (x, n), c in _expected_pairs(mentions).items() if x == "b"),
        key=lambda nc: -nc[1],
    )
    assert [r["shared_units"] for r in related] == [c for _, c in expected[:2]]

    await store.memories.delete(bank, [ids[0], ids[5]])
    del mentions[ids[0]], mentions[ids[5]]
    assert await _stored_pairs(store, bank, names) == _expected_pairs(mentions)

    # Re-ingest replaces a document's units: its old pairs go, the new ones count.
    doc_units = [MemoryIn("d1", embedding("d1"), entities=["a", "d"]),
                 MemoryIn("d2", embedding("d2"), entities=["a", "d", "e"])]  # fmt: skip
    first = await store.documents.reingest(bank, "doc", "v1", units=doc_units)
    mentions.update({u: d.entities for u, d in zip(first.unit_ids, doc_units, strict=True)})
    names |= {"e"}
    assert await _stored_pairs(store, bank, names) == _expected_pairs(mentions)
    new_units = [MemoryIn("d3", embedding("d3"), entities=["e", "b"])]
    second = await store.documents.reingest(bank, "doc", "v2", units=new_units)
    for u in first.unit_ids:
        del mentions[u]
    mentions[second.unit_ids[0]] = ["e", "b"]
    assert await _stored_pairs(store, bank, names) == _expected_pairs(mentions)
    assert await store.documents.delete(bank, "doc")
    del mentions[second.unit_ids[0]]
    assert await _stored_pairs(store, bank, names) == _expected_pairs(mentions)


async def test_retain_counts_repeated_pairs_exactly_in_one_statement(
    store: Store, bank: str
) -> None:
    pool = ["p", "q", "r", "s", "t", "u"]
    sets = [[pool[(i * k) % 6] for k in (1, 2, 3, 5)] + ["P"] * (i % 2) for i in range(40)]
    spy_store, spy = spied(store)
    ids = await spy_store.memories.retain(bank, [unit(i, entities=s) for i, s in enumerate(sets)])
    counting = [(verb, what) for verb, what, ok in spy.calls if ok and "cooccurrences" in what]
    # One set-based statement for the whole batch where the backend keeps its row order
    # (PostgreSQL); otherwise one executemany of the one-row upsert.
    if store.backend.capabilities.ordered_array_upsert:
        assert counting == [("execute", "entities.cooccurrences.increment_batch")]
    else:
        assert counting == [("executemany", "entities.cooccurrences.increment")]
    mentions: dict[object, list[str]] = dict(zip(ids, sets, strict=True))
    # A second batch adds to the pairs already counted.
    more = [unit(100 + i, entities=s) for i, s in enumerate(reversed(sets))]
    mentions.update(zip(await store.memories.retain(bank, more), reversed(sets), strict=True))
    expected = _expected_pairs(mentions)
    assert max(expected.values()) > 2 * len(sets) // 3  # pairs repeat across many units
    assert await _stored_pairs(store, bank, set(pool)) == expected


async def test_related_is_bank_scoped_and_validated(store: Store, bank: str) -> None:
    await store.memories.retain(bank, [unit(1, entities=["p", "q"])])
    p = await store.entities.by_name(bank, "p")
    other = f"{bank}-other"
    await store.banks.create(other)
    assert await store.entities.related(other, p["id"]) == []
    with pytest.raises(ValidationError):
        await store.entities.related(bank, p["id"], k=0)
    with pytest.raises(ValidationError):
        await store.entities.related(bank, "nope")
