"""Banks: create, get, list with keyset pagination, delete with everything in them."""

from __future__ import annotations

from collections import Counter

import pytest

from repo.errors import NotFoundError, ValidationError
from repo.models import LinkIn, OperationIn
from repo.store import Store
from repo.validation.json_objects import MAX_METADATA_BYTES
from tests.helpers import new_id, unit

pytestmark = pytest.mark.integration


async def test_create_is_idempotent_and_get_returns_it(store: Store) -> None:
    bank_id = f"b-{new_id()}"
    first = await store.banks.create(bank_id, "First", {"owner": "me"})
    again = await store.banks.create(bank_id, "Second")
    assert first["name"] == again["name"] == "First"
    assert (await store.banks.get(bank_id))["metadata"] == {"owner": "me"}
    assert await store.banks.delete(bank_id)


async def test_list_pages_by_id(store: Store) -> None:
    prefix = f"list-{new_id()}"
    ids = [f"{prefix}-{i}" for i in range(5)]
    for bank_id in ids:
        await store.banks.create(bank_id)
    seen: list[str] = []
    after = prefix
    while True:
        page = await store.banks.list(after=after, limit=2)
        page = [r for r in page if r["bank_id"].startswith(prefix)]
        if not page:
            break
        seen += [r["bank_id"] for r in page]
        after = page[-1]["bank_id"]
    assert seen == ids
    assert len(await store.banks.list(limit=1)) == 1
    for bank_id in ids:
        await store.banks.delete(bank_id)


async def test_delete_removes_everything_in_the_bank(store: Store, bank: str) -> None:
    ids = await store.memories.retain(bank, [unit(i, entities=["Ann"]) for i in range(3)])
    await store.memories.add_links(bank, [LinkIn(ids[0], ids[1], "causal", 0.3)])
    await store.observations.create(bank, "obs", unit(9).embedding, ids[:2])
    await store.documents.upsert(bank, "doc", "content")
    await store.operations.submit(bank, OperationIn("op"))
    assert await store.banks.delete(bank)
    with pytest.raises(NotFoundError):
        await store.banks.get(bank)
    assert await store.memories.count(bank) == 0
    assert await store.memories.get(bank, ids) == []
    assert await store.operations.counts(bank) == {}
    assert not await store.banks.delete(bank)


async def test_update_renames_and_merge_patches_metadata(store: Store) -> None:
    bank_id = f"b-{new_id()}"
    meta = {"owner": "me", "prefs": {"lang": "en", "tz": "UTC"}, "drop": 1}
    created = await store.banks.create(bank_id, "Old", meta)
    patch = {"prefs": {"tz": None, "theme": "dark"}, "drop": None, "new": [1, 2]}
    row = await store.banks.update(bank_id, name="New", metadata_patch=patch)
    expected = {"owner": "me", "prefs": {"lang": "en", "theme": "dark"}, "new": [1, 2]}
    assert row["name"] == "New" and row["metadata"] == expected
    assert row["updated_at"] >= created["updated_at"]
    row = await store.banks.update(bank_id, metadata_patch={"owner": {"id": 7}})
    assert row["name"] == "New" and row["metadata"]["owner"] == {"id": 7}
    row = await store.banks.update(bank_id, name="Newer")
    assert row["metadata"]["owner"] == {"id": 7}

    with pytest.raises(ValidationError):
        await store.banks.update(bank_id)
    with pytest.raises(ValidationError):
        await store.banks.update(bank_id, name="")
    with pytest.raises(ValidationError):
        await store.banks.update(bank_id, metadata_patch={"bad": float("nan")})
    with pytest.raises(NotFoundError):
        await store.banks.update(f"{bank_id}-missing", name="x")
    assert (await store.banks.get(bank_id))["name"] == "Newer"


async def test_update_refuses_a_merged_metadata_over_the_limit(store: Store) -> None:
    """Patch and stored metadata each within 1 MiB, their merge over it: ValidationError,
    nothing written."""
    bank_id = f"b-{new_id()}"
    half = "x" * (MAX_METADATA_BYTES // 2)
    await store.banks.create(bank_id, "Old", {"a": half})
    before = await store.banks.get(bank_id)
    with pytest.raises(ValidationError) as err:
        await store.banks.update(bank_id, name="New", metadata_patch={"b": half})
    assert "bytes of JSON" in err.value.message
    after = await store.banks.get(bank_id)
    assert (after["name"], after["metadata"], after["updated_at"]) == (
        "Old", {"a": half}, before["updated_at"],
    )  # fmt: skip
    row = await store.banks.update(bank_id, metadata_patch={"a": None, "b": half})
    assert row["metadata"] == {"b": half}  # a merge that shrinks back under the limit


async def test_stats_match_what_was_written(fresh_store: Store) -> None:
    store, bank = fresh_store, f"b-{new_id()}"  # a schema of its own: claims see only these
    await store.banks.create(bank)
    units = [unit(i, entities=[f"e{i % 4}"]) for i in range(20)]
    ids = await store.memories.retain(bank, units)
    links = [
        LinkIn(ids[i], ids[i + 1], ("semantic", "temporal", "causal")[i % 3], 0.5)
        for i in range(10)
    ]
    await store.memories.add_links(bank, links)
    await store.observations.create(bank, "obs", units[0].embedding, ids[:2])
    await store.documents.upsert(bank, "d1", "content one")
    await store.documents.upsert(bank, "d2", "content two")
    for i in range(3):
        await store.operations.submit(bank, OperationIn(f"op{i}"))
    [claimed] = await store.operations.claim("w", 1)
    await store.operations.fail(
        claimed["bank_id"], claimed["id"], "w", "boom", attempt=claimed["attempts"], retry=False
    )
    other = f"{bank}-other"
    await store.banks.create(other)
    await store.memories.retain(other, [unit(1, entities=["x"])])

    stats = await store.banks.stats(bank)
    fact_types = Counter(u.fact_type for u in units) + Counter({"observation": 1})
    assert stats.units == {ft: fact_types[ft] for ft in ("world", "experience", "observation")}
    link_types = Counter(link.link_type for link in links)
    assert stats.links == {
        lt: link_types[lt] for lt in ("temporal", "semantic", "entity", "causal")
    }
    assert stats.entities == len({u.entities[0] for u in units})
    assert stats.observations == fact_types["observation"]
    assert stats.documents == 2
    assert (stats.pending_operations, stats.failed_operations) == (2, 1)
    rows = await store.memories.get(bank, ids)
    docs = [await store.documents.get(bank, d) for d in ("d1", "d2")]
    newest = max([r["created_at"] for r in rows] + [d["updated_at"] for d in docs])
    assert stats.last_write_at >= newest

    empty = await store.banks.stats(other)
    assert empty.documents == 0 and sum(empty.units.values()) == 1
    with pytest.raises(NotFoundError):
        await store.banks.stats(f"{bank}-missing")
    with pytest.raises(ValidationError):
        await store.banks.stats("")
