"""Entities and links repositories."""

from __future__ import annotations

import pytest

from repo.errors import NotFoundError
from repo.models import EntityIn, LinkIn
from repo.store import Store
from tests.helpers import unit

pytestmark = pytest.mark.integration


async def test_entities_are_shared_per_bank_and_counted(store: Store, bank: str) -> None:
    ids = await store.memories.retain(bank, [
        unit(0, entities=[EntityIn("Ada Lovelace", "person"), "London"]),
        unit(1, entities=["ada  LOVELACE"]),
    ])  # fmt: skip
    await store.memories.retain(bank, [unit(2, entities=["Ada Lovelace"])])
    ada = await store.entities.by_name(bank, "  Ada lovelace ")
    assert ada["name"] == "Ada Lovelace" and ada["entity_type"] == "person"
    assert ada["mention_count"] == 3
    mentioned = [r["id"] for r in await store.entities.units(bank, ada["id"])]
    assert len(mentioned) == 3 and set(ids) <= set(mentioned)
    names = [r["canonical_name"] for r in await store.entities.list(bank)]
    assert names == ["ada lovelace", "london"]
    assert [r["canonical_name"] for r in await store.entities.list(bank, after="ada lovelace")] == [
        "london"
    ]
    assert [r["id"] for r in await store.entities.get(bank, [ada["id"]])] == [ada["id"]]
    with pytest.raises(NotFoundError):
        await store.entities.by_name(bank, "Nobody")


async def test_links_outgoing_and_delete(store: Store, bank: str) -> None:
    a, b, c = await store.memories.retain(bank, [unit(i) for i in range(3)])
    await store.memories.add_links(
        bank,
        [LinkIn(a, b, "semantic", 0.4), LinkIn(a, c, "causal", 0.9), LinkIn(a, b, "semantic", 0.1)],
    )
    out = await store.links.outgoing(bank, [a])
    assert [(r["to_unit_id"], r["link_type"], r["weight"]) for r in out] == [
        (c, "causal", 0.9),
        (b, "semantic", 0.1),  # the last duplicate in a batch wins
    ]
    await store.memories.add_links(bank, [LinkIn(a, b, "semantic", 0.7)])  # existing: kept
    assert {r["weight"] for r in await store.links.outgoing(bank, [a])} == {0.9, 0.1}
    assert await store.links.delete(bank, a, b, "semantic")
    assert not await store.links.delete(bank, a, b, "semantic")
    assert [r["to_unit_id"] for r in await store.links.outgoing(bank, [a])] == [c]
