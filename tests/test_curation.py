"""Curation: invalidate/restore (never listed or recalled meanwhile, links kept), list with
a safe substring filter and a total, tags with counts, unit counts per day/week. Expected
values are computed in Python from what the test wrote."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from repo.errors import ValidationError
from repo.models import LinkIn, MemoryFilter, MemoryIn, RecallQuery
from repo.repositories import MemoryRepository
from repo.store import Store
from tests.helpers import T0, embedding, unit
from tests.inspection import bank_row_counts

pytestmark = pytest.mark.integration


async def test_invalidated_units_are_hidden_kept_and_restorable(store: Store, bank: str) -> None:
    units = [
        unit(i, text=f"zebra stripes number {i}", fact_type="world", entities=["Zed"])
        for i in range(6)
    ]
    ids = await store.memories.retain(bank, units)
    await store.memories.add_links(bank, [LinkIn(ids[0], ids[1], "semantic", 0.9)])
    gone = ids[1:3]
    assert await store.memories.invalidate(bank, gone + gone[:1]) == 2
    assert await store.memories.invalidate(bank, gone) == 0  # already invalidated

    live = [i for i in ids if i not in gone]
    assert {r["id"] for r in await store.memories.list(bank)} == set(live)
    found = await store.recall.semantic(bank, embedding(1), fact_type="world", k=10)
    assert {r["id"] for r in found} == set(live)
    assert {r["id"] for r in await store.recall.fulltext(bank, "zebra", k=10)} == set(live)
    window = await store.recall.temporal(bank, T0, T0 + timedelta(days=1), k=10)
    assert {r["id"] for r in window} == set(live)
    assert not {r["id"] for r in await store.recall.expand(bank, [ids[0]], k=10)} & set(gone)
    result = await store.recall.recall(bank, RecallQuery(embedding(1), text="zebra"))
    assert not set(result.unit_ids()) & set(gone)
    zed = await store.entities.by_name(bank, "zed")
    assert {r["id"] for r in await store.entities.units(bank, zed["id"])} == set(live)

    # Kept: links, rows; listable newest-invalidated first, with keyset pages.
    assert [
        (r["from_unit_id"], r["to_unit_id"]) for r in await store.links.outgoing(bank, ids)
    ] == [(ids[0], ids[1])]
    invalid = await store.memories.list_invalidated(bank)
    assert {r["id"] for r in invalid} == set(gone)
    page1 = await store.memories.list_invalidated(bank, limit=1)
    page2 = await store.memories.list_invalidated(bank, limit=1, after=page1[0])
    assert [r["id"] for r in page1 + page2] == [r["id"] for r in invalid]

    assert await store.memories.restore(bank, gone) == 2
    assert await store.memories.restore(bank, gone) == 0
    assert {r["id"] for r in await store.memories.list(bank)} == set(ids)
    assert await store.memories.list_invalidated(bank) == []
    assert ids[1] in {r["id"] for r in await store.recall.expand(bank, [ids[0]], k=10)}


async def test_invalidate_is_bank_scoped_and_validated(store: Store, bank: str) -> None:
    other = f"{bank}-other"
    await store.banks.create(other)
    [mine] = await store.memories.retain(bank, [unit(1)])
    assert await store.memories.invalidate(other, [mine]) == 0
    assert [r["id"] for r in await store.memories.list(bank)] == [mine]
    before = await bank_row_counts(store, bank)
    for bad in ([], ["nope"]):
        with pytest.raises(ValidationError):
            await store.memories.invalidate(bank, bad)
        with pytest.raises(ValidationError):
            await store.memories.restore(bank, bad)
    with pytest.raises(ValidationError):
        await store.memories.list_invalidated(bank, limit=0)
    assert await bank_row_counts(store, bank) == before


TEXTS = [
    "100% sure", "100 percent", "snake_case name", "snakeXcase", "a!b", "ab", "Mixed CASE",
    "back\\slash", "under_score_", "plain",
]  # fmt: skip


async def test_substring_filter_is_literal_and_total_counts_all(store: Store, bank: str) -> None:
    ids = await store.memories.retain(
        bank, [unit(i, text=t, tags=[f"tag{i % 2}"]) for i, t in enumerate(TEXTS)]
    )
    by_id = dict(zip(ids, TEXTS, strict=True))
    for fragment in ("%", "_", "0%", "e_c", "!", "a!b", "case", "\\", "missing"):
        rows = await store.memories.list(bank, MemoryFilter(text_contains=fragment))
        expected = {i for i, t in by_id.items() if fragment.lower() in t.lower()}
        assert {r["id"] for r in rows} == expected, fragment

    f = MemoryFilter(tags=["tag0"], text_contains="a")
    expected = [
        i
        for i, (k, t) in enumerate(zip(ids, TEXTS, strict=True))
        if i % 2 == 0 and "a" in t.lower()
    ]
    first = await store.memories.list(bank, f, limit=2, with_total=True)
    assert first.total == len(expected) and len(first.rows) == 2
    rest = await store.memories.list(bank, f, limit=100, after=first.rows[-1], with_total=True)
    assert rest.total == len(expected)
    assert {r["id"] for r in first.rows + rest.rows} == {ids[i] for i in expected}
    await store.memories.invalidate(bank, [ids[expected[0]]])
    assert (await store.memories.list(bank, f, with_total=True)).total == len(expected) - 1
    with pytest.raises(ValidationError):
        await store.memories.list(bank, MemoryFilter(text_contains=""))


async def test_tags_with_counts(store: Store, bank: str) -> None:
    tag_sets = [["a", "b"], ["b"], ["b", "c"], [], ["c"], ["a", "b", "c"], ["d"]]
    ids = await store.memories.retain(bank, [unit(i, tags=t) for i, t in enumerate(tag_sets)])
    await store.memories.invalidate(bank, [ids[6]])
    counts = Counter(t for tags in tag_sets[:6] for t in tags)
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    assert await store.memories.tags(bank) == expected
    other = f"{bank}-other"
    await store.banks.create(other)
    assert await store.memories.tags(other) == []


async def test_counts_over_time(store: Store, bank: str) -> None:
    moments = [
        datetime(2026, 3, 2, 1, tzinfo=UTC),  # Monday
        datetime(2026, 3, 2, 23, 59, tzinfo=UTC),
        datetime(2026, 3, 4, 12, tzinfo=UTC),
        datetime(2026, 3, 9, 0, tzinfo=UTC),  # next Monday
        datetime(2026, 3, 20, 5, tzinfo=UTC),  # outside the window
    ]
    for i, moment in enumerate(moments):
        repo = MemoryRepository(store.backend, dim=store.dim, clock=lambda m=moment: m)
        await repo.retain(bank, [MemoryIn(f"t{i}", embedding(i))])
    since, until = datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 12, tzinfo=UTC)
    inside = [m for m in moments if since <= m < until]

    days = await store.memories.counts_over_time(bank, since, until)
    expected_days = [
        (
            since + timedelta(days=d),
            sum(1 for m in inside if m.date() == (since + timedelta(days=d)).date()),
        )
        for d in range(10)
    ]
    assert days == expected_days
    weeks = await store.memories.counts_over_time(bank, since, until, bucket="week")
    assert weeks == [(since, 3), (since + timedelta(days=7), 1)]

    with pytest.raises(ValidationError):
        await store.memories.counts_over_time(bank, until, since)
    with pytest.raises(ValidationError):
        await store.memories.counts_over_time(bank, since, until, bucket="month")
    with pytest.raises(ValidationError):
        await store.memories.counts_over_time(bank, since, since + timedelta(days=5000))
