"""Banks: create, get, list with keyset pagination, delete with everything in them."""

from __future__ import annotations

import pytest

from repo.errors import NotFoundError
from repo.models import LinkIn, OperationIn
from repo.store import Store
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
