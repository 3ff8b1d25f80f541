"""Memory units: atomic batch retain with entities and links, get, list, update, delete."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from repo.errors import ConflictError, NotFoundError, ValidationError
from repo.models import EntityIn, LinkIn, MemoryFilter, MemoryUpdate
from repo.store import Store
from tests.helpers import T0, embedding, unit

pytestmark = pytest.mark.integration


async def test_retain_stores_units_entities_and_links(store: Store, bank: str) -> None:
    units = [
        unit(0, entities=["Alice", EntityIn("Lisbon", "place")], metadata={"k": [1, "é"]}),
        unit(1, entities=["alice ", "Bob"], context="at work"),
    ]
    ids = await store.memories.retain(bank, units)
    await store.memories.add_links(bank, [LinkIn(ids[0], ids[1], "temporal", 0.25)])
    rows = {r["id"]: r for r in await store.memories.get(bank, ids)}
    assert set(rows) == set(ids)
    first = rows[ids[0]]
    assert first["text"] == units[0].text
    assert first["metadata"] == {"k": [1, "é"]}
    assert list(first["tags"]) == ["tag0"]
    assert first["event_date"] == T0
    assert [round(x, 5) for x in first["embedding"][:3]] == [
        round(x, 5) for x in units[0].embedding[:3]
    ]
    assert rows[ids[1]]["context"] == "at work"
    entities = await store.recall.entities_of(bank, ids)
    names = sorted((str(r["unit_id"]) == str(ids[0]), r["name"]) for r in entities)
    # "alice " and "Alice" are one entity per bank (matched case- and space-insensitively).
    assert [n for _, n in names].count("Alice") == 2
    assert {n for _, n in names} == {"Alice", "Lisbon", "Bob"}
    expanded = await store.recall.expand(bank, [ids[0]], k=10)
    assert {(r["arm"], r["id"]) for r in expanded} >= {
        ("graph:link", ids[1]),
        ("graph:entity", ids[1]),
    }


async def test_retain_is_atomic_when_the_database_rejects_a_link(store: Store, bank: str) -> None:
    dangling = LinkIn(uuid.uuid4(), uuid.uuid4(), "semantic", 0.5)
    units = [unit(i, entities=["Zed"]) for i in range(5)]
    with pytest.raises(ConflictError):
        await store.memories.retain(bank, units, [dangling])
    assert await store.memories.count(bank) == 0
    assert await store.recall.entities_of(bank, [u.id for u in units if u.id]) == []


async def test_invalid_unit_writes_nothing(store: Store, bank: str) -> None:
    units = [unit(0), unit(1, embedding=[0.0] * 3)]
    with pytest.raises(ValidationError, match=r"units\[1\].embedding"):
        await store.memories.retain(bank, units)
    assert await store.memories.count(bank) == 0


async def test_list_filters_and_keyset_pagination(store: Store, bank: str) -> None:
    ids = await store.memories.retain(bank, [unit(i) for i in range(30)])
    everything = await store.memories.list(bank, limit=100)
    assert len(everything) == 30
    pages, after = [], None
    while True:
        page = await store.memories.list(bank, limit=7, after=after)
        if not page:
            break
        pages.extend(r["id"] for r in page)
        after = page[-1]
    assert pages == [r["id"] for r in everything]
    assert sorted(map(str, pages)) == sorted(map(str, ids))

    world = await store.memories.list(bank, MemoryFilter(fact_types=["world"]))
    assert {r["fact_type"] for r in world} == {"world"} and len(world) == 10
    tagged = await store.memories.list(bank, MemoryFilter(tags=["tag1", "tag2"]))
    assert len(tagged) == 12
    window = await store.memories.list(
        bank, MemoryFilter(since=T0 + timedelta(hours=5), until=T0 + timedelta(hours=10))
    )
    assert len(window) == 5
    combined = await store.memories.list(
        bank, MemoryFilter(fact_types=["experience"], tags=["tag1"], since=T0)
    )
    assert all(r["fact_type"] == "experience" and "tag1" in r["tags"] for r in combined)


async def test_update_and_delete(store: Store, bank: str) -> None:
    [uid] = await store.memories.retain(bank, [unit(1)])
    row = await store.memories.update(bank, uid, MemoryUpdate(text="new text", tags=["x"]))
    assert row["text"] == "new text" and list(row["tags"]) == ["x"]
    row = await store.memories.update(bank, uid, MemoryUpdate(embedding=embedding("other")))
    assert abs(row["embedding"][0] - embedding("other")[0]) < 1e-6
    with pytest.raises(NotFoundError):
        await store.memories.update(bank, uuid.uuid4(), MemoryUpdate(text="x"))
    with pytest.raises(ValidationError):
        await store.memories.update(bank, uid, MemoryUpdate())
    assert await store.memories.delete(bank, [uid]) == 1
    assert await store.memories.delete(bank, [uid]) == 0


async def test_banks_do_not_see_each_others_units(store: Store, bank: str) -> None:
    other = f"{bank}-other"
    await store.banks.create(other)
    [mine] = await store.memories.retain(bank, [unit(1)])
    assert await store.memories.get(other, [mine]) == []
    assert await store.memories.delete(other, [mine]) == 0
    assert await store.memories.count(bank) == 1
    await store.banks.delete(other)
