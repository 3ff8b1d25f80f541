"""Delta re-ingest: units of unchanged chunks (same id, same content hash) stay with their
ids, links, mentions and observation sources; units of changed, vanished or no chunk are
replaced; counts stay true. Ground truth is computed in Python from what was written."""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections import Counter

import pytest

from repo.errors import NotFoundError, ValidationError
from repo.models import ChunkIn, LinkIn, MemoryIn
from repo.store import Store
from tests.helpers import new_id, unit
from tests.inspection import bank_row_counts

pytestmark = pytest.mark.integration

V1 = {"c1": "alpha text", "c2": "beta text", "c3": "gamma text"}
ENTITIES = {"c1": [["Ada", "Bob"], ["Bob"]], "c2": [["Ada", "Cy"]], "c3": [["Cy", "Dan"]]}


def _chunk_units(chunk: str, seed: int) -> list[MemoryIn]:
    return [
        unit(seed + i, id=uuid.uuid4(), chunk_id=chunk, entities=names)
        for i, names in enumerate(ENTITIES[chunk])
    ]


async def _pairs(store: Store, bank: str) -> Counter[tuple[str, str]]:
    out: Counter[tuple[str, str]] = Counter()
    for e in await store.entities.list(bank):
        for r in await store.entities.related(bank, e["id"], k=100):
            out[(e["canonical_name"], r["canonical_name"])] = r["shared_units"]
    return out


def _truth(mentions: dict[uuid.UUID, list[str]]) -> tuple[dict[str, int], Counter[tuple[str, str]]]:
    counts = Counter(n.casefold() for names in mentions.values() for n in set(names))
    pairs: Counter[tuple[str, str]] = Counter()
    for names in mentions.values():
        pairs.update(itertools.permutations(sorted({n.casefold() for n in names}), 2))
    return dict(counts), pairs


async def test_delta_reingest_keeps_the_units_of_unchanged_chunks(store: Store, bank: str) -> None:
    by_chunk = {c: _chunk_units(c, 10 * i) for i, c in enumerate(V1)}
    whole = unit(99, id=uuid.uuid4(), entities=["Eve"])  # a unit of no chunk
    v1_units = [u for us in by_chunk.values() for u in us] + [whole]
    a1, a2 = (u.id for u in by_chunk["c1"])
    b1, g1 = by_chunk["c2"][0].id, by_chunk["c3"][0].id
    assert a1 and a2 and b1 and g1
    links = [LinkIn(a1, a2, "semantic", 0.9), LinkIn(a1, b1, "causal", 0.5),
             LinkIn(g1, a2, "entity", 0.4), LinkIn(a2, a1, "temporal", 0.2)]  # fmt: skip
    first = await store.documents.reingest(
        bank, "doc", "v1", chunks=[ChunkIn(c, t) for c, t in V1.items()],
        units=v1_units, links=links,
    )  # fmt: skip
    assert first.added_chunks == ["c1", "c2", "c3"] and len(first.unit_ids) == 5
    kept_obs = await store.observations.create(bank, "about alpha", unit(50).embedding, [a1, a2])
    lost_obs = await store.observations.create(
        bank, "alpha and gamma", unit(51).embedding, [a1, g1]
    )

    # v2: c1 unchanged (moved last), c2 new text, c3 gone, c4 new; units for all given.
    by_chunk2 = {"c2": _chunk_units("c2", 200), "c4": [unit(300, chunk_id="c4", entities=["Fay"])]}
    again_c1 = [unit(400, chunk_id="c1", entities=["Zed"])]  # skipped: c1 is kept
    v2_units = [*by_chunk2["c2"], *by_chunk2["c4"], *again_c1]
    chunks2 = [ChunkIn("c2", "beta, rewritten"), ChunkIn("c4", "delta"), ChunkIn("c1", V1["c1"])]
    second = await store.documents.reingest(bank, "doc", "v2", chunks=chunks2, units=v2_units)

    assert (second.status, second.version) == ("updated", 2)
    assert second.kept_chunks == ["c1"] and second.replaced_chunks == ["c2"]
    assert second.added_chunks == ["c4"] and second.removed_chunks == ["c3"]
    assert second.skipped_units == 1 and len(second.unit_ids) == 2
    gone = {u.id for c in ("c2", "c3") for u in by_chunk[c]} | {whole.id}
    assert set(second.removed_unit_ids) == gone
    assert second.removed_observations == 1

    # Units: c1's originals (same ids) and the new ones; observations citing a removed
    # unit went, the one citing only kept units stays with its sources.
    doc_units = {u["id"] for u in await store.memories.list(bank, limit=100)} - {kept_obs}
    assert doc_units == {a1, a2, *second.unit_ids}
    assert lost_obs not in doc_units
    kept_sources = await store.observations.sources_of(bank, [kept_obs])
    assert {k: set(v) for k, v in kept_sources.items()} == {kept_obs: {a1, a2}}
    rows = await store.memories.get(bank, [a1, a2])
    assert {r["chunk_id"] for r in rows} == {"c1"}

    # Links: exactly those with both ends alive.
    alive = doc_units
    expected = sorted(
        (lk.from_id, lk.to_id, lk.link_type) for lk in links
        if lk.from_id in alive and lk.to_id in alive
    )  # fmt: skip
    stored = await store.links.outgoing(bank, sorted(alive))
    assert sorted((r["from_unit_id"], r["to_unit_id"], r["link_type"]) for r in stored) == expected
    assert len(expected) == 2

    # Mention counts, orphan pruning and co-occurrences are those of the live units.
    written = {u.id: list(map(str, u.entities)) for u in [*v1_units]}
    written.update(
        {i: list(map(str, u.entities))
         for i, u in zip(second.unit_ids, [*by_chunk2["c2"], *by_chunk2["c4"]], strict=True)}
    )  # fmt: skip
    counts, pairs = _truth({k: v for k, v in written.items() if k in alive})
    entities = {r["canonical_name"]: r["mention_count"] for r in await store.entities.list(bank)}
    assert entities == counts
    assert "dan" not in entities and "eve" not in entities and "zed" not in entities
    assert await _pairs(store, bank) == pairs

    # Chunks: the new version, in order, each with its hash; fetched by id, bank-scoped.
    chunks = await store.documents.chunks(bank, "doc")
    assert [(c["chunk_id"], c["chunk_index"]) for c in chunks] == [("c2", 0), ("c4", 1), ("c1", 2)]
    c1 = await store.documents.get_chunk(bank, "c1")
    assert (c1["document_id"], c1["text"]) == ("doc", V1["c1"])
    assert c1["content_hash"] == hashlib.sha256(V1["c1"].encode()).hexdigest()
    with pytest.raises(NotFoundError):
        await store.documents.get_chunk(bank, "c3")
    other = new_id()
    await store.banks.create(other, name="other")
    with pytest.raises(NotFoundError):
        await store.documents.get_chunk(other, "c1")
    await store.banks.delete(other)

    # Re-ingest without chunks replaces every unit, the kept ones too.
    third = await store.documents.reingest(bank, "doc", "v3", units=[unit(500)])
    assert set(third.removed_unit_ids) == {a1, a2, *second.unit_ids}
    assert third.removed_chunks == ["c2", "c4", "c1"]


async def test_unit_of_an_unknown_chunk_is_refused_before_sql(store: Store, bank: str) -> None:
    await store.documents.reingest(bank, "doc", "v1", chunks=[ChunkIn("c1", "t")], units=[unit(1)])
    before = await bank_row_counts(store, bank)
    with pytest.raises(ValidationError) as err:
        await store.documents.reingest(
            bank, "doc", "v2", chunks=[ChunkIn("c1", "t")], units=[unit(2, chunk_id="nope")]
        )
    assert err.value.field == "units[0].chunk_id"
    with pytest.raises(ValidationError):
        await store.documents.get_chunk(bank, "")
    assert await bank_row_counts(store, bank) == before
    assert (await store.documents.get(bank, "doc"))["version"] == 1


async def test_reingest_validates_each_unit_once(
    store: Store, bank: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The units of a re-ingest are validated once, before any SQL, kept chunks' units
    included; the fresh ones are written from that validation, mentions counted true."""
    from repo.repositories import memories

    validated: list[str] = []
    real = memories.unit_record

    def counting(bank_id: str, u: MemoryIn, *args: object) -> object:
        validated.append(u.text)
        return real(bank_id, u, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(memories, "unit_record", counting)
    chunks = [ChunkIn(c, t) for c, t in V1.items()]
    v1 = [u for i, c in enumerate(V1) for u in _chunk_units(c, 10 * i)]
    await store.documents.reingest(bank, "doc", "v1", chunks=chunks, units=v1)
    assert sorted(validated) == sorted(u.text for u in v1)
    validated.clear()
    changed = [ChunkIn("c1", V1["c1"]), ChunkIn("c2", "beta, new"), ChunkIn("c3", V1["c3"])]
    v2 = [u for i, c in enumerate(V1) for u in _chunk_units(c, 100 + 10 * i)]
    result = await store.documents.reingest(bank, "doc", "v2", chunks=changed, units=v2)
    assert sorted(validated) == sorted(u.text for u in v2)  # once each, not again to write
    assert result.skipped_units == 3 and len(result.unit_ids) == 1
    live = [u for u in v1 if u.chunk_id != "c2"] + [u for u in v2 if u.chunk_id == "c2"]
    truth, _ = _truth({u.id: [str(e) for e in u.entities] for u in live if u.id})
    counts = {e["canonical_name"]: e["mention_count"] for e in await store.entities.list(bank)}
    assert counts == truth
    bad = [*v2[:3], unit(7, chunk_id="c1", embedding=[0.0] * len(v2[0].embedding))]
    with pytest.raises(ValidationError):  # a unit of a kept chunk is validated too
        await store.documents.reingest(bank, "doc", "v3", chunks=changed, units=bad)
