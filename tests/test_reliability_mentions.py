"""Entities stay true: `mention_count` is the number of the bank's units that mention the
entity, and an entity without units does not exist, after every kind of unit removal
(memories.delete, re-ingest, documents.delete), sequential or concurrent. The ground
truth is computed in Python from what each surviving unit was retained with."""

from __future__ import annotations

import asyncio
import random
import unicodedata
import uuid
from collections import Counter

import pytest
import sqlalchemy as sa

from repo.errors import NotFoundError
from repo.models import MemoryIn, ObservationUpdate
from repo.repositories.memories import canonical_entity_name
from repo.sql import Statement
from repo.store import Store
from schema.tables import entity_cooccurrences
from tests.helpers import embedding, new_id, unit

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

#: The bank's entity co-occurrence pairs with a count.
PAIRS = Statement(
    "test.cooccurrence_pairs",
    sa.select(entity_cooccurrences.c.units).where(
        entity_cooccurrences.c.bank_id == sa.bindparam("bank_id"),
        entity_cooccurrences.c.units > sa.literal_column("0"),
    ),
    register=False,
)
NAMES = ["Ada", "Bob", "Cleo", "Dan", "Eve", "Fay", "Gus", "Hal"]


async def _entities(store: Store, bank: str) -> dict[str, int]:
    return {r["canonical_name"]: r["mention_count"] for r in await store.entities.list(bank)}


async def _truth(store: Store, bank: str, mentions: dict[uuid.UUID, list[str]]) -> dict[str, int]:
    """Mentions per canonical name over the units that still exist."""
    alive = {r["id"] for r in await store.memories.list(bank, limit=1000)}
    counts = Counter(
        canonical_entity_name(name) for uid in alive for name in set(mentions.get(uid, []))
    )
    return dict(counts)


def _units(rng: random.Random, n: int, seed: int, **kw: object) -> list[MemoryIn]:
    return [
        unit(seed + i, id=uuid.uuid4(), entities=rng.sample(NAMES, rng.randint(0, 3)), **kw)
        for i in range(n)
    ]


async def test_counts_follow_every_kind_of_unit_removal(store: Store) -> None:
    rng = random.Random(14)
    bank = f"mentions-{new_id()}"
    await store.banks.create(bank)
    mentions: dict[uuid.UUID, list[str]] = {}

    def remember(units: list[MemoryIn]) -> None:
        mentions.update({u.id: [str(e) for e in u.entities] for u in units if u.id})

    loose = _units(rng, 30, 0)
    remember(loose)
    await store.memories.retain(bank, loose)
    for d in range(3):
        doc_units = _units(rng, 6, 100 + 10 * d)
        remember(doc_units)
        await store.documents.reingest(bank, f"d{d}", "v1", units=doc_units)
    assert await _entities(store, bank) == await _truth(store, bank, mentions)

    await store.memories.delete(bank, [u.id for u in loose[:20] if u.id])
    assert await _entities(store, bank) == await _truth(store, bank, mentions)

    replacement = _units(rng, 2, 200)
    remember(replacement)
    await store.documents.reingest(bank, "d0", "v2", units=replacement)
    assert await _entities(store, bank) == await _truth(store, bank, mentions)

    assert await store.documents.delete(bank, "d1") is True
    assert await _entities(store, bank) == await _truth(store, bank, mentions)

    # Everything gone: no entity is left behind.
    await store.memories.delete(bank, [u.id for u in loose if u.id])
    await store.documents.delete(bank, "d0")
    await store.documents.delete(bank, "d2")
    assert await store.memories.count(bank) == 0
    assert await _entities(store, bank) == {}


async def test_counts_stay_true_under_concurrent_retains_and_deletes(store: Store) -> None:
    rng = random.Random(7)
    bank = f"mentions-c-{new_id()}"
    await store.banks.create(bank)
    mentions: dict[uuid.UUID, list[str]] = {}
    batches = [_units(rng, 10, 1000 + 100 * b) for b in range(8)]
    for batch in batches:
        mentions.update({u.id: [str(e) for e in u.entities] for u in batch if u.id})
    await asyncio.gather(*(store.memories.retain(bank, b) for b in batches[:4]))
    existing = [u.id for b in batches[:4] for u in b if u.id]
    doomed = [rng.sample(existing, 15) for _ in range(4)]  # overlapping deletes
    await asyncio.gather(
        *(store.memories.retain(bank, b) for b in batches[4:]),
        *(store.memories.delete(bank, ids) for ids in doomed),
    )
    assert await _entities(store, bank) == await _truth(store, bank, mentions)


async def test_bank_level_delete_of_observations_keeps_counts_true(store: Store) -> None:
    """`observations.delete_unsupported` removes every observation of the bank without a
    live source, including observations retained with entities."""
    bank = f"mentions-o-{new_id()}"
    await store.banks.create(bank)
    kept = unit(1, fact_type="world", entities=["Ada"])
    doomed = [unit(2 + i, fact_type="observation", entities=["Ada", "Bob"]) for i in range(3)]
    await store.memories.retain(bank, [kept, *doomed])
    assert await _entities(store, bank) == {"ada": 4, "bob": 3}
    assert await store.observations.delete_unsupported(bank) == 3
    assert await _entities(store, bank) == {"ada": 1}


async def test_delete_stale_keeps_counts_and_cooccurrences_true(store: Store) -> None:
    """`observations.delete_stale` removes the observations citing a removed source through
    the one unit-removal path: their entities lose the mentions, orphans go, and their
    co-occurrences are uncounted (before: a plain DELETE left every count as it was and
    entities without units)."""
    bank = f"mentions-stale-{new_id()}"
    await store.banks.create(bank)
    kept = unit(1, fact_type="world", entities=["Ada"])
    source = unit(2, id=uuid.uuid4(), fact_type="world")
    citing = [unit(3 + i, fact_type="observation", entities=["Ada", "Bob"]) for i in range(3)]
    ids = await store.memories.retain(bank, [kept, source, *citing])
    for obs in ids[2:]:  # the retained observations now cite the source
        change = ObservationUpdate(text="cites it", embedding=embedding(9), add_source_ids=[ids[1]])
        await store.observations.update(bank, obs, change)
    assert await _entities(store, bank) == {"ada": 4, "bob": 3}
    assert await store.observations.delete_stale(bank, [ids[1]]) == 3
    assert await store.memories.get(bank, ids[2:]) == []
    assert await _entities(store, bank) == {"ada": 1}
    assert await store.backend.fetch(PAIRS, {"bank_id": bank}) == []


async def test_nfc_and_nfd_spellings_are_one_entity(store: Store) -> None:
    bank = f"nfc-{new_id()}"
    await store.banks.create(bank)
    composed = unicodedata.normalize("NFC", "Zoë Ångström")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    await store.memories.retain(bank, [unit(1, entities=[composed])])
    await store.memories.retain(bank, [unit(2, entities=[decomposed])])
    [entity] = await store.entities.list(bank)
    assert entity["mention_count"] == 2
    for spelling in (composed, decomposed, decomposed.upper()):
        assert (await store.entities.by_name(bank, spelling))["id"] == entity["id"]
    with pytest.raises(NotFoundError):
        await store.entities.by_name(bank, "Zoe Angstrom")
