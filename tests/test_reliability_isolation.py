"""Bank isolation enforced by the database: no link, mention or source crosses banks, and
recall never follows one into another bank."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from repo.errors import ConflictError, NotFoundError
from repo.models import LinkIn, OperationIn, RecallQuery
from repo.store import Store
from tests.helpers import embedding, new_id, unit
from tests.inspection import bank_row_counts

pytestmark = [pytest.mark.integration, pytest.mark.reliability]


async def _two_banks(store: Store) -> tuple[str, str, list[uuid.UUID], list[uuid.UUID]]:
    a, b = f"iso-a-{new_id()}", f"iso-b-{new_id()}"
    await store.banks.create(a)
    await store.banks.create(b)
    ids_a = await store.memories.retain(a, [unit(1, text="alpha public note")])
    ids_b = await store.memories.retain(b, [unit(2, text="secret of bank b")])
    return a, b, ids_a, ids_b


async def test_add_links_across_banks_is_refused_and_writes_nothing(store: Store) -> None:
    a, b, [ua], [ub] = await _two_banks(store)
    before = {a: await bank_row_counts(store, a), b: await bank_row_counts(store, b)}
    attempts = [
        [LinkIn(ua, ub, "semantic", 0.9)],  # the far end in another bank
        [LinkIn(ub, ua, "semantic", 0.9)],  # the near end in another bank
        [LinkIn(ua, ua, "causal", 0.5), LinkIn(ua, ub, "semantic", 0.9)],  # one bad of two
    ]
    for links in attempts:
        with pytest.raises(ConflictError):
            await store.memories.add_links(a, links)
    with pytest.raises(ConflictError):  # bank b's own units, filed under bank a
        await store.memories.add_links(a, [LinkIn(ub, ub, "semantic", 0.9)])
    assert {a: await bank_row_counts(store, a), b: await bank_row_counts(store, b)} == before


async def test_retain_with_a_link_into_another_bank_is_refused_and_writes_nothing(
    store: Store,
) -> None:
    a, _, _, [ub] = await _two_banks(store)
    before = await bank_row_counts(store, a)
    new = uuid.uuid4()
    with pytest.raises(ConflictError):
        await store.memories.retain(
            a,
            [unit(3, id=new, entities=["Ada"])],
            [LinkIn(new, ub, "semantic", 1.0)],
        )
    assert await bank_row_counts(store, a) == before
    with pytest.raises(ConflictError):  # a link from another bank's unit to the new one
        await store.memories.retain(a, [unit(4, id=new)], [LinkIn(ub, new, "semantic", 1.0)])
    assert await bank_row_counts(store, a) == before


async def test_recall_of_a_bank_never_returns_another_banks_units(store: Store) -> None:
    a, b, [ua], [ub] = await _two_banks(store)
    for links in ([LinkIn(ua, ub, "semantic", 1.0)], [LinkIn(ub, ua, "semantic", 1.0)]):
        with pytest.raises(ConflictError):
            await store.memories.add_links(a, links)
    # Shared entity names in both banks are two entities, never a bridge.
    [ua2] = await store.memories.retain(a, [unit(5, text="alpha about Ada", entities=["Ada"])])
    await store.memories.retain(b, [unit(6, text="beta secret about Ada", entities=["Ada"])])
    expanded = await store.recall.expand(a, [ua, ua2, ub])
    assert {r["bank_id"] for r in expanded} <= {a}
    result = await store.recall.recall(a, RecallQuery(embedding(2), text="secret Ada"))
    rows = result.all_rows()
    assert rows and {r["bank_id"] for r in rows} == {a}
    assert ub not in result.unit_ids()
    assert {r["unit_id"] for r in result.entities} <= set(result.unit_ids())
    assert "secret" not in " ".join(r["text"] for r in rows)


async def test_operations_of_one_bank_are_invisible_and_untouchable_from_another(
    fresh_store: Store,
) -> None:
    """Every verb that names an operation takes its bank and puts it in the statement:
    through bank b, bank a's operations are not found (`get`: NotFoundError; `get_many`,
    `children`: no rows) and cannot be finished, even with the claim's worker and attempt
    (`complete`: ConflictError, as for any operation not claimed in the bank; `fail`:
    NotFoundError); nothing of bank a changes, and bank a's own calls work (before: the
    verbs took an id alone and read or finished any bank's operation)."""
    s = fresh_store
    a, b = f"ops-a-{new_id()}", f"ops-b-{new_id()}"
    for bank in (a, b):
        await s.banks.create(bank)
    parent, *children = await s.operations.submit(
        a, OperationIn("parent", children=[OperationIn("one"), OperationIn("two")])
    )
    claimed = await s.operations.claim("w", 10)  # the parent waits for its children
    assert sorted(r["id"] for r in claimed) == sorted(children)
    assert {r["bank_id"] for r in claimed} == {a}  # what the worker finishes them with
    one, two = claimed
    before = await s.operations.get_many(a, [parent, *children])

    with pytest.raises(NotFoundError):
        await s.operations.get(b, parent)
    assert await s.operations.get_many(b, [parent, *children]) == []
    assert await s.operations.children(b, parent) == []
    with pytest.raises(ConflictError):
        await s.operations.complete(b, one["id"], "w", {"by": b}, attempt=one["attempts"])
    for retry in (True, False):
        with pytest.raises(NotFoundError):
            await s.operations.fail(b, two["id"], "w", "x", attempt=two["attempts"], retry=retry)
    assert await s.operations.counts(b) == {}
    assert await s.operations.prune(b, s.operations.now() + timedelta(days=1)) == 0
    assert await s.operations.get_many(a, [parent, *children]) == before  # untouched

    assert sorted(r["id"] for r in await s.operations.children(a, parent)) == sorted(children)
    for row in claimed:
        await s.operations.complete(a, row["id"], "w", attempt=row["attempts"])
    assert (await s.operations.get(a, parent))["status"] == "completed"
