"""Documents: content-hash upsert, lock for write, re-ingest replacing units atomically."""

from __future__ import annotations

import asyncio

import pytest

from repo.errors import ConflictError, NotFoundError, ValidationError
from repo.models import ChunkIn, LinkIn
from repo.store import Store
from tests.helpers import embedding, unit

pytestmark = pytest.mark.integration


async def test_upsert_is_a_no_op_for_unchanged_content(store: Store, bank: str) -> None:
    created = await store.documents.upsert(bank, "doc", "hello", chunks=[ChunkIn("c1", "hello")])
    assert (created.status, created.version) == ("created", 1)
    before = await store.documents.get(bank, "doc")
    same = await store.documents.upsert(bank, "doc", "hello", chunks=[ChunkIn("c1", "other")])
    assert (same.status, same.version) == ("unchanged", 1)
    after = await store.documents.get(bank, "doc")
    assert after["updated_at"] == before["updated_at"]
    assert [c["text"] for c in await store.documents.chunks(bank, "doc")] == ["hello"]
    changed = await store.documents.upsert(bank, "doc", "hello again", chunks=[ChunkIn("c2", "x")])
    assert (changed.status, changed.version) == ("updated", 2)
    assert [c["chunk_id"] for c in await store.documents.chunks(bank, "doc")] == ["c2"]


async def test_reingest_replaces_units_and_stale_observations(store: Store, bank: str) -> None:
    first = await store.documents.reingest(bank, "doc", "v1", units=[unit(1), unit(2)])
    other = await store.memories.retain(bank, [unit(3)])
    stale = await store.observations.create(bank, "about v1", embedding(9), [first.unit_ids[0]])
    kept = await store.observations.create(bank, "about other", embedding(8), other)
    second = await store.documents.reingest(bank, "doc", "v2", units=[unit(4)])
    assert second.status == "updated" and second.removed_observations == 1
    assert sorted(map(str, second.removed_unit_ids)) == sorted(map(str, first.unit_ids))
    remaining = {r["id"] for r in await store.memories.list(bank, limit=100)}
    assert remaining == {*second.unit_ids, *other, kept}
    assert stale not in remaining
    rows = await store.memories.get(bank, second.unit_ids)
    assert [r["document_id"] for r in rows] == ["doc"]


async def test_failed_reingest_keeps_the_previous_version(store: Store, bank: str) -> None:
    first = await store.documents.reingest(
        bank, "doc", "v1", units=[unit(1)], chunks=[ChunkIn("c", "v1")]
    )
    bad_link = [LinkIn(first.unit_ids[0], first.unit_ids[0], "semantic", 0.5)]  # unit is replaced
    with pytest.raises(ConflictError):
        await store.documents.reingest(bank, "doc", "v2", units=[unit(2)], links=bad_link)
    doc = await store.documents.get(bank, "doc")
    assert doc["content"] == "v1" and doc["version"] == 1
    assert [r["id"] for r in await store.memories.list(bank)] == first.unit_ids
    assert [c["text"] for c in await store.documents.chunks(bank, "doc")] == ["v1"]
    with pytest.raises(ValidationError):
        await store.documents.reingest(
            bank, "doc", "v3", chunks=[ChunkIn("a", "x"), ChunkIn("a", "y")]
        )
    assert (await store.documents.get(bank, "doc"))["version"] == 1


async def test_lock_serialises_writers(store: Store, bank: str) -> None:
    await store.documents.upsert(bank, "doc", "v1")
    order: list[str] = []

    async def holder() -> None:
        async with store.transaction():
            assert (await store.documents.lock(bank, "doc")) is not None
            order.append("locked")
            await asyncio.sleep(0.3)
            order.append("released")

    async def writer() -> None:
        await asyncio.sleep(0.05)
        await store.documents.upsert(bank, "doc", "v2")
        order.append("written")

    await asyncio.gather(holder(), writer())
    assert order == ["locked", "released", "written"]


async def test_delete_document_cascades(store: Store, bank: str) -> None:
    res = await store.documents.reingest(
        bank, "doc", "v1", units=[unit(1)], chunks=[ChunkIn("c", "t")]
    )
    assert await store.documents.delete(bank, "doc")
    assert await store.memories.get(bank, res.unit_ids) == []
    with pytest.raises(NotFoundError):
        await store.documents.get(bank, "doc")
