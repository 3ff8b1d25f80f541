# ruff: noqa: E501
# mypy: disable-error-code="arg-type,list-item,dict-item,call-overload"
# (table-driven cases read best one per line; the cases pass wrong types on purpose)
"""Wrong container types, unordered or non-numeric embeddings, out-of-range instants and
oversized text or JSON, for every public method of every repository.

As in tests/test_reliability_input.py: each case raises `ValidationError` before any SQL
(a spy backend sees no call at all) and no table's row count changes. A separate test
checks the table names every public method, so a new method needs its cases.
"""

from __future__ import annotations

import inspect
import typing
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from repo.models import (
    ChunkIn,
    LinkIn,
    MemoryFilter,
    MemoryUpdate,
    ObservationUpdate,
    OperationIn,
    RecallQuery,
)
from repo.store import Store
from repo.validation.json_objects import MAX_METADATA_BYTES, MAX_PAYLOAD_BYTES
from repo.validation.text import MAX_INDEXED_TEXT_LENGTH
from tests.helpers import embedding, unit
from tests.inspection import spied, table_row_counts

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

Case = Callable[[Store, str], Awaitable[Any]]

DIM = 384
U = uuid.UUID(int=7)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
#: Aware datetimes whose UTC instant is before year 1 or after year 9999.
BEFORE_YEAR_1 = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
AFTER_YEAR_9999 = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-14)))
ZERO = [0.0] * DIM
TINY = [1e-30] * DIM  # normal float32 values whose squared norm underflows float32


def gen(*items: Any) -> Any:
    return (i for i in items)


def doc(store: Store, bank: str, **kw: Any) -> Awaitable[Any]:
    args = {"document_id": "d", "content": "content", **kw}
    return store.documents.reingest(bank, args.pop("document_id"), args.pop("content"), **args)


def cyrillic_words(n: int) -> str:
    """`n` characters of distinct Cyrillic words."""
    letters = "абвгдежзиклмнопрстуфхцчшщэюя"
    words, size, i = [], 0, 0
    while size < n:
        j, word = i, ""
        while True:
            word += letters[j % len(letters)]
            j //= len(letters)
            if not j:
                break
        words.append(word + "ый")
        size += len(word) + 3
        i += 1
    return " ".join(words)[:n]


def hyphenated_pairs(n: int) -> str:
    """`n` characters of distinct hyphenated pairs of 4-byte letters: the costliest text
    for a tsvector found (the pair and both parts become lexemes)."""
    out, i = [], 0
    while 4 * len(out) <= n:
        out.append(f"{chr(0x20000 + 2 * i)}-{chr(0x20001 + 2 * i)}")
        i += 1
    return " ".join(out)[:n]


BAD: dict[str, Case] = {
    # -- one value instead of a sequence, None, generators, sets and dicts
    "memories.retain: one unit": lambda s, b: s.memories.retain(b, unit(1)),
    "memories.retain: units None": lambda s, b: s.memories.retain(b, None),
    "memories.retain: units generator": lambda s, b: s.memories.retain(b, gen(unit(1))),
    "memories.retain: units dict": lambda s, b: s.memories.retain(b, {"text": "t", "embedding": embedding(1)}),
    "memories.retain: dict as unit": lambda s, b: s.memories.retain(b, [{"text": "t", "embedding": embedding(1)}]),
    "memories.retain: links None": lambda s, b: s.memories.retain(b, [unit(1)], None),
    "memories.retain: one link": lambda s, b: s.memories.retain(b, [unit(1)], LinkIn(U, U, "causal")),
    "memories.retain: dict as link": lambda s, b: s.memories.retain(b, [unit(1)], [{"from_id": U, "to_id": U}]),
    "memories.retain: entities None": lambda s, b: s.memories.retain(b, [unit(1, entities=None)]),
    "memories.retain: entities set": lambda s, b: s.memories.retain(b, [unit(1, entities={"a", "b"})]),
    "memories.retain: dict as entity": lambda s, b: s.memories.retain(b, [unit(1, entities=[{"name": "A"}])]),
    "memories.retain: tags int": lambda s, b: s.memories.retain(b, [unit(1, tags=5)]),
    "memories.add_links: links None": lambda s, b: s.memories.add_links(b, None),
    "memories.add_links: generator": lambda s, b: s.memories.add_links(b, gen(LinkIn(U, U, "causal"))),
    "memories.add_links: tuple as link": lambda s, b: s.memories.add_links(b, [(U, U, "causal")]),
    "memories.get: one UUID": lambda s, b: s.memories.get(b, U),
    "memories.get: None": lambda s, b: s.memories.get(b, None),
    "memories.get: generator": lambda s, b: s.memories.get(b, gen(U)),
    "memories.get_one: list": lambda s, b: s.memories.get_one(b, [U]),
    "memories.delete: one UUID": lambda s, b: s.memories.delete(b, U),
    "memories.delete: set": lambda s, b: s.memories.delete(b, {U}),
    "memories.count: list": lambda s, b: s.memories.count([b]),
    "memories.list: fact_types 5": lambda s, b: s.memories.list(b, MemoryFilter(fact_types=5)),
    "memories.list: filters dict": lambda s, b: s.memories.list(b, {"tags": ["t"]}),
    "memories.list: tags generator": lambda s, b: s.memories.list(b, MemoryFilter(tags=gen("t"))),
    "memories.list: cursor of one": lambda s, b: s.memories.list(b, after=(NOW,)),
    "memories.list: cursor of three": lambda s, b: s.memories.list(b, after=(NOW, U, 1)),
    "memories.list: cursor int": lambda s, b: s.memories.list(b, after=5),
    "memories.list: cursor dict without keys": lambda s, b: s.memories.list(b, after={"x": 1}),
    "memories.list: cursor string": lambda s, b: s.memories.list(b, after="2026-01-01"),
    "memories.write_retain: dict": lambda s, b: s.memories.write_retain({"bank_id": b}),
    "memories.invalidate: one UUID": lambda s, b: s.memories.invalidate(b, U),
    "memories.restore: None": lambda s, b: s.memories.restore(b, None),
    "memories.list_invalidated: cursor of one": lambda s, b: s.memories.list_invalidated(b, after=(NOW,)),
    "memories.list_invalidated: cursor without its key": lambda s, b: s.memories.list_invalidated(b, after={"created_at": NOW, "id": U}),
    "memories.tags: bank list": lambda s, b: s.memories.tags([b]),
    "memories.counts_over_time: since str": lambda s, b: s.memories.counts_over_time(b, "2026-01-01", NOW),
    "memories.counts_over_time: utc before year 1": lambda s, b: s.memories.counts_over_time(b, BEFORE_YEAR_1, NOW),
    "memories.update: change dict": lambda s, b: s.memories.update(b, U, {"text": "t"}),
    "memories.update: change None": lambda s, b: s.memories.update(b, U, None),
    "memories.update: tags int": lambda s, b: s.memories.update(b, U, MemoryUpdate(tags=5)),
    "banks.create: metadata list": lambda s, b: s.banks.create(f"{b}-x", metadata=[("k", 1)]),
    "banks.update: metadata_patch list": lambda s, b: s.banks.update(b, metadata_patch=[("k", 1)]),
    "banks.update: metadata_patch over its limit": lambda s, b: s.banks.update(b, metadata_patch={"k": "x" * MAX_METADATA_BYTES}),
    "banks.stats: bank list": lambda s, b: s.banks.stats([b]),
    "banks.fold_stats: bank int": lambda s, b: s.banks.fold_stats(7),
    "banks.get: list": lambda s, b: s.banks.get([b]),
    "banks.list: after list": lambda s, b: s.banks.list(after=["a"]),
    "banks.delete: None": lambda s, b: s.banks.delete(None),
    "documents.reingest: chunks None": lambda s, b: doc(s, b, chunks=None),
    "documents.reingest: one chunk": lambda s, b: doc(s, b, chunks=ChunkIn("c", "t")),
    "documents.reingest: dict as chunk": lambda s, b: doc(s, b, chunks=[{"chunk_id": "c", "text": "t"}]),
    "documents.reingest: units None": lambda s, b: doc(s, b, units=None),
    "documents.reingest: units generator": lambda s, b: doc(s, b, units=gen(unit(1))),
    "documents.reingest: dict as unit": lambda s, b: doc(s, b, units=[{"text": "t"}]),
    "documents.reingest: links None": lambda s, b: doc(s, b, units=[unit(1)], links=None),
    "documents.upsert: chunks generator": lambda s, b: s.documents.upsert(b, "d", "c", chunks=gen(ChunkIn("c", "t"))),
    "documents.get: id list": lambda s, b: s.documents.get(b, ["d"]),
    "documents.chunks: id None": lambda s, b: s.documents.chunks(b, None),
    "documents.get_chunk: chunk id list": lambda s, b: s.documents.get_chunk(b, ["c"]),
    "documents.lock: id int": lambda s, b: s.documents.lock(b, 5),
    "documents.delete: id list": lambda s, b: s.documents.delete(b, ["d"]),
    "entities.get: one UUID": lambda s, b: s.entities.get(b, U),
    "entities.get: None": lambda s, b: s.entities.get(b, None),
    "entities.by_name: list": lambda s, b: s.entities.by_name(b, ["A"]),
    "entities.units: list": lambda s, b: s.entities.units(b, [U]),
    "entities.list: after list": lambda s, b: s.entities.list(b, after=["a"]),
    "entities.related: list": lambda s, b: s.entities.related(b, [U]),
    "entities.resolve: None": lambda s, b: s.entities.resolve(b, None),
    "entities.seen: one UUID": lambda s, b: s.entities.seen(b, U),
    "links.outgoing: one UUID": lambda s, b: s.links.outgoing(b, U),
    "links.outgoing: None": lambda s, b: s.links.outgoing(b, None),
    "links.delete: from list": lambda s, b: s.links.delete(b, [U], U, "causal"),
    "observations.create: sources one UUID": lambda s, b: s.observations.create(b, "o", embedding(1), U),
    "observations.create: sources None": lambda s, b: s.observations.create(b, "o", embedding(1), None),
    "observations.create: tags None-like int": lambda s, b: s.observations.create(b, "o", embedding(1), [U], tags=5),
    "observations.find_by_sources: one UUID": lambda s, b: s.observations.find_by_sources(b, U),
    "observations.sources_of: None": lambda s, b: s.observations.sources_of(b, None),
    "observations.delete_stale: one UUID": lambda s, b: s.observations.delete_stale(b, U),
    "observations.delete_unsupported: bank list": lambda s, b: s.observations.delete_unsupported([b]),
    "observations.history: list": lambda s, b: s.observations.history(b, [U]),
    "observations.live_sources: list": lambda s, b: s.observations.live_sources(b, [U]),
    "observations.update: change dict": lambda s, b: s.observations.update(b, U, {"text": "t"}),
    "observations.update: sources one UUID": lambda s, b: s.observations.update(b, U, ObservationUpdate("t", embedding(1), add_source_ids=U)),
    "observations.update: tags int": lambda s, b: s.observations.update(b, U, ObservationUpdate("t", embedding(1), tags=5)),
    "consolidation.find_unconsolidated: fact_types 5": lambda s, b: s.consolidation.find_unconsolidated(b, fact_types=5),
    "consolidation.find_unconsolidated: bad cursor": lambda s, b: s.consolidation.find_unconsolidated(b, after=(NOW,)),
    "consolidation.count_unconsolidated: tags int": lambda s, b: s.consolidation.count_unconsolidated(b, tags=5),
    "consolidation.mark_consolidated: one UUID": lambda s, b: s.consolidation.mark_consolidated(b, U),
    "consolidation.mark_failed: None": lambda s, b: s.consolidation.mark_failed(b, None),
    "consolidation.reset: generator": lambda s, b: s.consolidation.reset(b, gen(U)),
    "operations.submit: op dict": lambda s, b: s.operations.submit(b, {"operation_type": "t"}),
    "operations.submit: op None": lambda s, b: s.operations.submit(b, None),
    "operations.submit: children None": lambda s, b: s.operations.submit(b, OperationIn("t", children=None)),
    "operations.submit: one child": lambda s, b: s.operations.submit(b, OperationIn("t", children=OperationIn("c"))),
    "operations.submit: dict as child": lambda s, b: s.operations.submit(b, OperationIn("t", children=[{"operation_type": "c"}])),
    "operations.submit: children generator": lambda s, b: s.operations.submit(b, OperationIn("t", children=gen(OperationIn("c")))),
    "operations.claim: worker list": lambda s, b: s.operations.claim(["w"]),
    "operations.complete: id list": lambda s, b: s.operations.complete(b, [U], "w", attempt=1),
    "operations.complete: attempt str": lambda s, b: s.operations.complete(b, U, "w", attempt="1"),
    "operations.fail: attempt None": lambda s, b: s.operations.fail(b, U, "w", "e", attempt=None),
    "operations.fail: retry str": lambda s, b: s.operations.fail(b, U, "w", "e", attempt=1, retry="no"),
    "operations.get: list": lambda s, b: s.operations.get(b, [U]),
    "operations.get_many: one UUID": lambda s, b: s.operations.get_many(b, U),
    "operations.get_many: None": lambda s, b: s.operations.get_many(b, None),
    "operations.children: list": lambda s, b: s.operations.children(b, [U]),
    "operations.counts: bank list": lambda s, b: s.operations.counts([b]),
    "operations.prune: before str": lambda s, b: s.operations.prune(b, "2026-01-01"),
    "recall.recall: query dict": lambda s, b: s.recall.recall(b, {"embedding": embedding(1)}),
    "recall.recall: fact_types 5": lambda s, b: s.recall.recall(b, RecallQuery(embedding(1), fact_types=5)),
    "recall.semantic: embedding None": lambda s, b: s.recall.semantic(b, None, fact_type="world"),
    "recall.fulltext: query list": lambda s, b: s.recall.fulltext(b, ["fox"]),
    "recall.temporal: start str": lambda s, b: s.recall.temporal(b, "2026-01-01", NOW),
    "recall.expand: one UUID": lambda s, b: s.recall.expand(b, U),
    "recall.expand: None": lambda s, b: s.recall.expand(b, None),
    "recall.entities_of: one UUID": lambda s, b: s.recall.entities_of(b, U),
    # -- embeddings: unordered, not real numbers, zero (cosine is NaN)
    "embedding: set": lambda s, b: s.memories.retain(b, [unit(1, embedding={0.1 * i for i in range(1, DIM + 1)})]),
    "embedding: dict": lambda s, b: s.recall.semantic(b, {i: 0.1 for i in range(DIM)}, fact_type="world"),
    "embedding: frozenset": lambda s, b: s.observations.create(b, "o", frozenset(0.1 * i for i in range(1, DIM + 1)), [U]),
    "embedding: bools": lambda s, b: s.memories.retain(b, [unit(1, embedding=[True] * DIM)]),
    "embedding: one bool": lambda s, b: s.recall.recall(b, RecallQuery([*embedding(1)[:-1], False])),
    "embedding: Decimal": lambda s, b: s.memories.update(b, U, MemoryUpdate(embedding=[Decimal("0.1")] * DIM)),
    "embedding: zero": lambda s, b: s.memories.retain(b, [unit(1, embedding=ZERO)]),
    "embedding: zero query": lambda s, b: s.recall.semantic(b, ZERO, fact_type="world"),
    "embedding: zero recall": lambda s, b: s.recall.recall(b, RecallQuery(ZERO)),
    "embedding: zero observation": lambda s, b: s.observations.create(b, "o", ZERO, [U]),
    "embedding: norm underflows float32": lambda s, b: s.memories.retain(b, [unit(1, embedding=TINY)]),
    "embedding: negative zeros": lambda s, b: s.memories.retain(b, [unit(1, embedding=[-0.0] * DIM)]),
    # -- aware datetimes whose UTC instant leaves years 1 to 9999
    "utc before year 1: retain event_date": lambda s, b: s.memories.retain(b, [unit(i, event_date=BEFORE_YEAR_1) for i in range(600)]),
    "utc after 9999: retain occurred_end": lambda s, b: s.memories.retain(b, [unit(1, occurred_end=AFTER_YEAR_9999)]),
    "utc before year 1: retain mentioned_at": lambda s, b: s.memories.retain(b, [unit(1, mentioned_at=BEFORE_YEAR_1)]),
    "utc after 9999: update": lambda s, b: s.memories.update(b, U, MemoryUpdate(event_date=AFTER_YEAR_9999)),
    "utc before year 1: list since": lambda s, b: s.memories.list(b, MemoryFilter(since=BEFORE_YEAR_1)),
    "utc after 9999: temporal": lambda s, b: s.recall.temporal(b, NOW, AFTER_YEAR_9999),
    "utc before year 1: prune": lambda s, b: s.operations.prune(b, BEFORE_YEAR_1),
    "utc after 9999: observation": lambda s, b: s.observations.create(b, "o", embedding(1), [U], event_date=AFTER_YEAR_9999),
    "utc before year 1: cursor": lambda s, b: s.memories.list(b, after=(BEFORE_YEAR_1, U)),
    # -- text beyond what the full-text index holds (a tsvector: 1 MB of lexemes)
    "indexed text: 1M characters of Cyrillic words": lambda s, b: s.memories.retain(b, [unit(1, text=cyrillic_words(1_000_000))]),
    "indexed text: 1M characters of distinct tokens": lambda s, b: s.memories.retain(b, [unit(1, text=" ".join(str(i) for i in range(200_000))[:1_000_000])]),
    "indexed text: one past the limit": lambda s, b: s.memories.retain(b, [unit(1, text="x" * (MAX_INDEXED_TEXT_LENGTH + 1))]),
    "indexed text: update": lambda s, b: s.memories.update(b, U, MemoryUpdate(text=cyrillic_words(MAX_INDEXED_TEXT_LENGTH + 1))),
    "indexed text: observation": lambda s, b: s.observations.create(b, "x" * (MAX_INDEXED_TEXT_LENGTH + 1), embedding(1), [U]),
    "indexed text: observation update": lambda s, b: s.observations.update(b, U, ObservationUpdate("x" * (MAX_INDEXED_TEXT_LENGTH + 1), embedding(1))),
    "indexed text: reingest unit": lambda s, b: doc(s, b, units=[unit(1, text=hyphenated_pairs(MAX_INDEXED_TEXT_LENGTH + 1))]),
    # -- JSON beyond its limit, refused before it is serialised
    "metadata: 300 MB string": lambda s, b: s.memories.retain(b, [unit(1, metadata={"k": "x" * 300_000_000})]),
    "metadata: one byte over": lambda s, b: s.banks.create(f"{b}-x", metadata={"k": "x" * (MAX_METADATA_BYTES - 7)}),
    "metadata: multi-byte over": lambda s, b: doc(s, b, metadata={"k": "é" * (MAX_METADATA_BYTES // 2)}),
    "metadata: many small values": lambda s, b: s.memories.retain(b, [unit(1, metadata={"k": [1] * MAX_METADATA_BYTES})]),
    "metadata: many keys": lambda s, b: s.memories.update(b, U, MemoryUpdate(metadata={str(i): i for i in range(300_000)})),
    "payload: over its limit": lambda s, b: s.operations.submit(b, OperationIn("t", {"k": "x" * MAX_PAYLOAD_BYTES})),
    "payload: child over its limit": lambda s, b: s.operations.submit(b, OperationIn("t", children=[OperationIn("c", {"k": ["x" * 1000] * 9000})])),
    "result: over its limit": lambda s, b: s.operations.complete(b, U, "w", {"k": "x" * MAX_PAYLOAD_BYTES}, attempt=1),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD))
async def test_wrong_shapes_and_sizes_are_typed_errors_before_any_sql(
    store: Store, bank: str, case: str
) -> None:
    from repo.errors import ValidationError

    before = await table_row_counts(store)
    spy_store, spy = spied(store)
    with pytest.raises(ValidationError) as info:
        await BAD[case](spy_store, bank)
    assert info.value.field and info.value.message
    assert spy.calls == [], f"SQL ran before the input was rejected: {spy.calls}"
    assert await table_row_counts(store) == before


def public_methods() -> set[str]:
    """`repository.method` for every public coroutine method of every store repository."""
    out = set()
    for name, kind in typing.get_type_hints(Store).items():
        if not (isinstance(kind, type) and kind.__module__.startswith("repo.repositories")):
            continue
        for method, _ in inspect.getmembers(kind, inspect.iscoroutinefunction):
            if not method.startswith("_"):
                out.add(f"{name}.{method}")
    return out


def test_every_public_method_has_wrong_type_cases() -> None:
    covered = {case.split(":")[0] for case in BAD}
    methods = public_methods()
    assert len(methods) > 40
    assert methods - covered == set()


async def test_limits_are_exact(store: Store, bank: str) -> None:
    """Text and JSON at their limits are stored (and the worst text for the full-text
    index at its limit is indexed); the bounds, not a lower one, decide."""
    worst = hyphenated_pairs(MAX_INDEXED_TEXT_LENGTH)
    cyr = cyrillic_words(MAX_INDEXED_TEXT_LENGTH)
    assert len(worst) == len(cyr) == MAX_INDEXED_TEXT_LENGTH
    ids = await store.memories.retain(
        bank,
        [
            # {"k":"..."}: 8 bytes around the string
            unit(1, text=worst, metadata={"k": "x" * (MAX_METADATA_BYTES - 8)}),
            unit(2, text=cyr, metadata={"k": "é" * ((MAX_METADATA_BYTES - 8) // 2)}),
        ],
    )
    rows = {r["id"]: r for r in await store.memories.get(bank, ids)}
    assert [rows[i]["text"] for i in ids] == [worst, cyr]
    assert [r["text"] for r in await store.recall.fulltext(bank, worst[:3])] == [worst]
    await store.operations.submit(bank, OperationIn("t", {"k": "x" * (MAX_PAYLOAD_BYTES - 8)}))
    assert await store.operations.counts(bank) == {"pending": 1}


async def test_embeddings_in_any_ordered_form(store: Store, bank: str) -> None:
    """Tuples, generators, ints and a vector with one non-zero element are fine."""
    vec = embedding(1)
    one_hot = [0.0] * DIM
    one_hot[5] = 1e-18
    ids = await store.memories.retain(
        bank,
        [
            unit(1, embedding=tuple(vec)),
            unit(2, embedding=(x for x in vec)),
            unit(3, embedding=[1] * DIM),
            unit(4, embedding=one_hot),
        ],
    )
    assert len(await store.memories.get(bank, ids)) == 4
    found = await store.recall.semantic(bank, [1] * DIM, fact_type="world", k=4)
    assert all(r["score"] == r["score"] for r in found)  # no NaN
