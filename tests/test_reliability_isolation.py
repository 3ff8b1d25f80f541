"""Bank isolation enforced by the database: no link, mention or source crosses banks, and
recall never follows one into another bank."""

from __future__ import annotations

import uuid

import pytest

from repo.errors import ConflictError
from repo.models import LinkIn, RecallQuery
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
