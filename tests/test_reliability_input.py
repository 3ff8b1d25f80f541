# ruff: noqa: E501
# mypy: disable-error-code="arg-type,list-item,dict-item"
# (table-driven cases read best one per line, as in tests/test_validation.py; the cases
# pass wrong types on purpose)
"""Bad and hostile input, table-driven (extends tests/test_validation.py's cases).

Every bad input gets a typed `ValidationError` before any SQL runs (a spy backend sees
no call at all) and a row count shows nothing was written. Valid-but-extreme input and
hostile text (SQL-looking strings in every text field, full-text operators) get a
correct result and never a database syntax error.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from repo.errors import MemrepoError, NotFoundError, ValidationError
from repo.models import (
    ChunkIn,
    EntityIn,
    LinkIn,
    MemoryFilter,
    MemoryUpdate,
    OperationIn,
    RecallQuery,
)
from repo.store import Store
from tests.helpers import embedding, unit
from tests.inspection import bank_row_counts, spied, table_row_counts

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

Case = Callable[[Store, str], Awaitable[Any]]

NAN, INF = math.nan, math.inf
DIM = 384
U = uuid.UUID(int=7)
NUL, SURROGATE = "a\x00b", "a\ud800b"
LONG_ID = "i" * 256
NAIVE = datetime(2026, 1, 1)


def vec(*head: float) -> list[float]:
    return [*head, *[0.1] * (DIM - len(head))]


def deep(depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    node = out
    for _ in range(depth):
        node["k"] = {}
        node = node["k"]
    return out


def doc(store: Store, bank: str, **kw: Any) -> Awaitable[Any]:
    args = {"document_id": "d", "content": "content", **kw}
    return store.documents.reingest(bank, args.pop("document_id"), args.pop("content"), **args)


# Each case must raise ValidationError before any SQL. Grouped by kind of bad input.
BAD: dict[str, Case] = {
    # -- embeddings: dimension, NaN/inf, float32 overflow, not numbers
    "dim: recall": lambda s, b: s.recall.recall(b, RecallQuery(embedding=[0.1] * 385)),
    "dim: semantic empty": lambda s, b: s.recall.semantic(b, [], fact_type="world"),
    "dim: observation": lambda s, b: s.observations.create(b, "o", [0.1] * 10, [U]),
    "dim: update": lambda s, b: s.memories.update(b, U, MemoryUpdate(embedding=[0.1] * 383)),
    "nan: semantic": lambda s, b: s.recall.semantic(b, vec(NAN), fact_type="world"),
    "nan: recall": lambda s, b: s.recall.recall(b, RecallQuery(embedding=vec(0.1, NAN))),
    "-inf: update": lambda s, b: s.memories.update(b, U, MemoryUpdate(embedding=vec(-INF))),
    "inf: observation": lambda s, b: s.observations.create(b, "o", vec(INF), [U]),
    "float32 overflow: retain": lambda s, b: s.memories.retain(b, [unit(1, embedding=vec(1e39))]),
    "float32 overflow: semantic": lambda s, b: s.recall.semantic(b, vec(-4e38), fact_type="world"),
    "strings as vector": lambda s, b: s.memories.retain(b, [unit(1, embedding=["x"] * DIM)]),
    "None as vector": lambda s, b: s.memories.retain(b, [unit(1, embedding=None)]),
    "bytes as vector": lambda s, b: s.recall.semantic(b, b"\x00" * DIM, fact_type="world"),
    # -- NUL bytes, in every kind of text field
    "nul: bank id": lambda s, b: s.banks.create(NUL),
    "nul: bank name": lambda s, b: s.banks.create(f"{b}-x", name=NUL),
    "nul: bank metadata key": lambda s, b: s.banks.create(f"{b}-x", metadata={NUL: 1}),
    "nul: banks.list after": lambda s, b: s.banks.list(after=NUL),
    "nul: document id": lambda s, b: doc(s, b, document_id=NUL),
    "nul: document content": lambda s, b: doc(s, b, content=NUL),
    "nul: document metadata": lambda s, b: doc(s, b, metadata={"k": [1, {"x": NUL}]}),
    "nul: chunk id": lambda s, b: doc(s, b, chunks=[ChunkIn(NUL, "t")]),
    "nul: chunk text": lambda s, b: doc(s, b, chunks=[ChunkIn("c", NUL)]),
    "nul: context": lambda s, b: s.memories.retain(b, [unit(1, context=NUL)]),
    "nul: entity name": lambda s, b: s.memories.retain(b, [unit(1, entities=[NUL])]),
    "nul: entity type": lambda s, b: s.memories.retain(b, [unit(1, entities=[EntityIn("A", NUL)])]),
    "nul: tag": lambda s, b: s.memories.retain(b, [unit(1, tags=["ok", NUL])]),
    "nul: metadata key": lambda s, b: s.memories.retain(b, [unit(1, metadata={NUL: "v"})]),
    "nul: unit document id": lambda s, b: s.memories.retain(b, [unit(1, document_id=NUL)]),
    "nul: unit chunk id": lambda s, b: s.memories.retain(b, [unit(1, chunk_id=NUL)]),
    "nul: update text": lambda s, b: s.memories.update(b, U, MemoryUpdate(text=NUL)),
    "nul: list tag filter": lambda s, b: s.memories.list(b, MemoryFilter(tags=[NUL])),
    "nul: list document filter": lambda s, b: s.memories.list(b, MemoryFilter(document_id=NUL)),
    "nul: observation text": lambda s, b: s.observations.create(b, NUL, embedding(1), [U]),
    "nul: observation tag": lambda s, b: s.observations.create(b, "o", embedding(1), [U], tags=[NUL]),
    "nul: recall text": lambda s, b: s.recall.recall(b, RecallQuery(embedding(1), text=NUL)),
    "nul: operation type": lambda s, b: s.operations.submit(b, OperationIn(NUL)),
    "nul: payload value": lambda s, b: s.operations.submit(b, OperationIn("t", {"k": NUL})),
    "nul: payload key": lambda s, b: s.operations.submit(b, OperationIn("t", {NUL: 1})),
    "nul: child payload": lambda s, b: s.operations.submit(b, OperationIn("t", children=[OperationIn("c", {"a": [NUL]})])),
    "nul: claim worker": lambda s, b: s.operations.claim(NUL),
    "nul: complete worker": lambda s, b: s.operations.complete(b, U, NUL, attempt=1),
    "nul: complete result": lambda s, b: s.operations.complete(b, U, "w", {"r": NUL}, attempt=1),
    "nul: fail worker": lambda s, b: s.operations.fail(b, U, NUL, "e", attempt=1),
    "nul: fail error": lambda s, b: s.operations.fail(b, U, "w", NUL, attempt=1),
    "nul: entity lookup": lambda s, b: s.entities.by_name(b, NUL),
    "nul: entities after": lambda s, b: s.entities.list(b, after=NUL),
    # -- lone surrogates (not encodable as UTF-8)
    "surrogate: bank id": lambda s, b: s.banks.create(SURROGATE),
    "surrogate: bank metadata value": lambda s, b: s.banks.create(f"{b}-x", metadata={"k": SURROGATE}),
    "surrogate: document id": lambda s, b: doc(s, b, document_id=SURROGATE),
    "surrogate: content": lambda s, b: doc(s, b, content="\udfff"),
    "surrogate: chunk text": lambda s, b: doc(s, b, chunks=[ChunkIn("c", SURROGATE)]),
    "surrogate: entity name": lambda s, b: s.memories.retain(b, [unit(1, entities=[SURROGATE])]),
    "surrogate: tag": lambda s, b: s.memories.retain(b, [unit(1, tags=[SURROGATE])]),
    "surrogate: metadata key": lambda s, b: s.memories.retain(b, [unit(1, metadata={"\udc80": 1})]),
    "surrogate: query": lambda s, b: s.recall.fulltext(b, "fox \ud83d"),
    "surrogate: payload": lambda s, b: s.operations.submit(b, OperationIn("t", {"k": SURROGATE})),
    "surrogate: worker": lambda s, b: s.operations.claim(SURROGATE),
    # -- oversized text and ids
    "long: bank name": lambda s, b: s.banks.create(f"{b}-x", name=LONG_ID),
    "long: document id": lambda s, b: doc(s, b, document_id=LONG_ID),
    "long: content": lambda s, b: doc(s, b, content="c" * 1_000_001),
    "long: chunk id": lambda s, b: doc(s, b, chunks=[ChunkIn(LONG_ID, "t")]),
    "long: chunk text": lambda s, b: doc(s, b, chunks=[ChunkIn("c", "t" * 1_000_001)]),
    "long: tag": lambda s, b: s.memories.retain(b, [unit(1, tags=[LONG_ID])]),
    "long: too many tags": lambda s, b: s.memories.retain(b, [unit(1, tags=[str(i) for i in range(1001)])]),
    "long: entity name": lambda s, b: s.memories.retain(b, [unit(1, entities=[LONG_ID])]),
    "long: entity name once case-folded": lambda s, b: s.memories.retain(b, [unit(1, entities=["ß" * 200])]),
    "long: entity type": lambda s, b: s.memories.retain(b, [unit(1, entities=[EntityIn("A", "t" * 65)])]),
    "long: context": lambda s, b: s.memories.retain(b, [unit(1, context="c" * 1_000_001)]),
    "long: operation type": lambda s, b: s.operations.submit(b, OperationIn("t" * 65)),
    "long: worker": lambda s, b: s.operations.claim(LONG_ID),
    "long: error message": lambda s, b: s.operations.fail(b, U, "w", "e" * 100_001, attempt=1),
    "long: list after": lambda s, b: s.banks.list(after=LONG_ID),
    "long: recall text": lambda s, b: s.recall.recall(b, RecallQuery(embedding(1), text="q" * 10_001)),
    "deep metadata": lambda s, b: s.memories.retain(b, [unit(1, metadata=deep(100_000))]),
    "nan metadata": lambda s, b: s.memories.retain(b, [unit(1, metadata={"x": NAN})]),
    "tuple-keyed payload": lambda s, b: s.operations.submit(b, OperationIn("t", {(1, 2): 3})),
    "list as metadata": lambda s, b: s.memories.retain(b, [unit(1, metadata=["a"])]),
    # -- empty where something is required
    "empty: document id": lambda s, b: doc(s, b, document_id=""),
    "empty: content": lambda s, b: doc(s, b, content=""),
    "empty: query": lambda s, b: s.recall.fulltext(b, ""),
    "empty: recall text": lambda s, b: s.recall.recall(b, RecallQuery(embedding(1), text="")),
    "empty: worker": lambda s, b: s.operations.claim(""),
    "empty: observation sources": lambda s, b: s.observations.create(b, "o", embedding(1), []),
    "empty: update": lambda s, b: s.memories.update(b, U, MemoryUpdate()),
    "duplicate chunk ids": lambda s, b: doc(s, b, chunks=[ChunkIn("c", "x"), ChunkIn("c", "y")]),
    "unit of another document": lambda s, b: doc(s, b, units=[unit(1, document_id="other")]),
    "grandchild operation": lambda s, b: s.operations.submit(b, OperationIn("p", children=[OperationIn("c", children=[OperationIn("g")])])),
    # -- unknown enumerations
    "fact type: list filter": lambda s, b: s.memories.list(b, MemoryFilter(fact_types=["opinion"])),
    "fact type: empty filter": lambda s, b: s.memories.list(b, MemoryFilter(fact_types=[])),
    "fact type: wrong case": lambda s, b: s.recall.semantic(b, embedding(1), fact_type="World"),
    "fact type: None": lambda s, b: s.recall.semantic(b, embedding(1), fact_type=None),
    "fact type: sql": lambda s, b: s.recall.semantic(b, embedding(1), fact_type="world' OR '1'='1"),
    "tags: string on observation": lambda s, b: s.observations.create(b, "o", embedding(1), [U], tags="t"),
    "link type: add": lambda s, b: s.memories.add_links(b, [LinkIn(U, U, "Semantic")]),
    "link type: delete": lambda s, b: s.links.delete(b, U, U, "x'; --"),
    "link weight: nan": lambda s, b: s.memories.add_links(b, [LinkIn(U, U, "causal", NAN)]),
    "link weight: bool": lambda s, b: s.memories.add_links(b, [LinkIn(U, U, "causal", True)]),
    "link weight: negative": lambda s, b: s.memories.add_links(b, [LinkIn(U, U, "causal", -0.1)]),
    # -- limits: negative, zero, huge, wrong types
    "limit: banks 0": lambda s, b: s.banks.list(limit=0),
    "limit: banks huge": lambda s, b: s.banks.list(limit=10_001),
    "limit: list 2**63": lambda s, b: s.memories.list(b, limit=2**63),
    "limit: list float": lambda s, b: s.memories.list(b, limit=1.5),
    "limit: list str": lambda s, b: s.memories.list(b, limit="10"),
    "limit: list None": lambda s, b: s.memories.list(b, limit=None),
    "limit: temporal -5": lambda s, b: s.recall.temporal(b, datetime.now(UTC), datetime.now(UTC), k=-5),
    "limit: expand huge": lambda s, b: s.recall.expand(b, [U], k=10**12),
    "limit: fulltext -1": lambda s, b: s.recall.fulltext(b, "fox", k=-1),
    "limit: claim 0": lambda s, b: s.operations.claim("w", 0),
    "limit: claim huge": lambda s, b: s.operations.claim("w", 10_001),
    "limit: claim float": lambda s, b: s.operations.claim("w", 2.0),
    "limit: k_semantic 0": lambda s, b: s.recall.recall(b, RecallQuery(embedding(1), k_semantic=0)),
    "limit: k_text -1": lambda s, b: s.recall.recall(b, RecallQuery(embedding(1), text="x", k_text=-1)),
    "limit: k_graph huge": lambda s, b: s.recall.recall(b, RecallQuery(embedding(1), k_graph=10**9)),
    "limit: seeds 0": lambda s, b: s.recall.recall(b, RecallQuery(embedding(1), seeds=0)),
    "limit: entities -1": lambda s, b: s.entities.list(b, limit=-1),
    "limit: entity units 0": lambda s, b: s.entities.units(b, U, limit=0),
    "limit: max attempts 0": lambda s, b: s.operations.submit(b, OperationIn("t", max_attempts=0)),
    "limit: max attempts huge": lambda s, b: s.operations.submit(b, OperationIn("t", max_attempts=10**6)),
    "limit: proof count -1": lambda s, b: s.memories.retain(b, [unit(1, proof_count=-1)]),
    "limit: proof count huge": lambda s, b: s.memories.update(b, U, MemoryUpdate(proof_count=2**40)),
    "lease: zero": lambda s, b: s.operations.claim("w", 1, lease=timedelta(0)),
    "lease: negative": lambda s, b: s.operations.claim("w", 1, lease=timedelta(seconds=-1)),
    "lease: int": lambda s, b: s.operations.claim("w", 1, lease=5),
    "lease: enormous": lambda s, b: s.operations.claim("w", 1, lease=timedelta(days=999_999_999)),
    # -- malformed UUIDs, everywhere one is taken
    "uuid: delete": lambda s, b: s.memories.delete(b, ["1234"]),
    "uuid: get one": lambda s, b: s.memories.get_one(b, "not-a-uuid"),
    "uuid: update": lambda s, b: s.memories.update(b, "x", MemoryUpdate(text="t")),
    "uuid: unit id": lambda s, b: s.memories.retain(b, [unit(1, id="' OR 1=1 --")]),
    "uuid: int": lambda s, b: s.memories.get(b, [7]),
    "uuid: None": lambda s, b: s.memories.get(b, [None]),
    "uuid: bytes": lambda s, b: s.memories.get(b, [U.bytes]),
    "uuid: a string of ids": lambda s, b: s.memories.get(b, str(U)),
    "uuid: with junk": lambda s, b: s.memories.get(b, [f"{U}; DROP TABLE banks"]),
    "uuid: operation get": lambda s, b: s.operations.get(b, "x"),
    "uuid: operation complete": lambda s, b: s.operations.complete(b, "' OR 1=1 --", "w", attempt=1),
    "uuid: operation fail": lambda s, b: s.operations.fail(b, "", "w", "e", attempt=1),
    "uuid: children": lambda s, b: s.operations.children(b, "zzz"),
    "uuid: get many": lambda s, b: s.operations.get_many(b, [U, "nope"]),
    "uuid: observation sources": lambda s, b: s.observations.create(b, "o", embedding(1), ["bad"]),
    "uuid: find by sources": lambda s, b: s.observations.find_by_sources(b, ["bad"]),
    "uuid: sources of": lambda s, b: s.observations.sources_of(b, [b"bytes"]),
    "uuid: expand seeds": lambda s, b: s.recall.expand(b, ["bad"]),
    "uuid: entities of": lambda s, b: s.recall.entities_of(b, [123]),
    "uuid: link from": lambda s, b: s.memories.add_links(b, [LinkIn("x", U, "causal")]),
    "uuid: links outgoing": lambda s, b: s.links.outgoing(b, ["bad"]),
    "uuid: entity units": lambda s, b: s.entities.units(b, "bad"),
    "uuid: list after": lambda s, b: s.memories.list(b, after=(datetime.now(UTC), "bad")),
    # -- datetimes
    "naive: temporal": lambda s, b: s.recall.temporal(b, NAIVE, datetime.now(UTC)),
    "naive: list since": lambda s, b: s.memories.list(b, MemoryFilter(since=NAIVE)),
    "naive: prune": lambda s, b: s.operations.prune(b, NAIVE),
    "naive: observation": lambda s, b: s.observations.create(b, "o", embedding(1), [U], event_date=NAIVE),
    "str as datetime": lambda s, b: s.memories.list(b, MemoryFilter(until="2026-01-01")),
    # -- wrong container types
    "tags: bytes": lambda s, b: s.memories.list(b, MemoryFilter(tags=b"t")),
    "fact types: int": lambda s, b: s.memories.list(b, MemoryFilter(fact_types=[1])),
    "bank id: int": lambda s, b: s.memories.count(7),
    "bank id: None": lambda s, b: s.banks.get(None),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD))
async def test_bad_input_is_a_typed_error_before_any_sql(
    store: Store, bank: str, case: str
) -> None:
    before = await table_row_counts(store)
    spy_store, spy = spied(store)
    with pytest.raises(ValidationError) as info:
        await BAD[case](spy_store, bank)
    assert info.value.field and info.value.message
    assert spy.calls == [], f"SQL ran before the input was rejected: {spy.calls}"
    assert await table_row_counts(store) == before


# --------------------------------------------------------------------------- extreme but valid

EXTREME_TEXT = [
    "é" * 255,  # 255 characters, 510 bytes
    "😀" * 255,  # astral plane: 1,020 bytes
    " ",  # whitespace only
    "\u202eRTL\u202c and \u200d zero-width \ufeff BOM",
    "e\u0301 combining, \uffff non-character, \ue000 private use",
    "".join(chr(c) for c in range(1, 32)) + "\x7f",  # every control character but NUL
]


@pytest.mark.parametrize("text", EXTREME_TEXT, ids=lambda t: f"len{len(t)}-{ord(t[0]):x}")
async def test_extreme_but_valid_text_round_trips(store: Store, text: str) -> None:
    bank_id = f"{text[:200]}{uuid.uuid4().hex[:8]}"
    await store.banks.create(bank_id, name=text, metadata={text: text})
    assert (await store.banks.get(bank_id))["name"] == text
    [uid] = await store.memories.retain(
        bank_id, [unit(1, text=text, context=text, tags=[text], metadata={text: [text]})]
    )
    [row] = await store.memories.get(bank_id, [uid])
    assert (row["text"], row["context"], list(row["tags"]), row["metadata"]) == (
        text, text, [text], {text: [text]},
    )  # fmt: skip
    assert isinstance(await store.recall.fulltext(bank_id, text), list)
    await store.banks.delete(bank_id)


async def test_extreme_but_valid_numbers_and_dates(store: Store, bank: str) -> None:
    far_past = datetime(1, 1, 2, tzinfo=UTC)
    far_future = datetime(9999, 12, 30, tzinfo=timezone(timedelta(hours=-14)))
    f32 = 3.4028234663852886e38  # the largest float32: stored as is
    [uid] = await store.memories.retain(
        bank,
        [unit(1, embedding=vec(f32, -f32, 1e-45), event_date=far_future, proof_count=1_000_000)],
    )
    [row] = await store.memories.get(bank, [uid])
    assert list(row["embedding"][:2]) == [f32, -f32]
    found = await store.recall.temporal(bank, far_past, far_future + timedelta(hours=1), k=10_000)
    assert [r["id"] for r in found] == [uid]
    assert await store.memories.list(bank, MemoryFilter(since=far_past), limit=10_000)
    assert await store.recall.temporal(bank, far_future, far_past) == []  # empty range
    assert await store.banks.list(limit=1)
    assert await store.recall.fulltext(bank, "x" * 10_000, k=10_000) == []  # longest query


async def test_unknown_but_well_formed_ids_are_empty_results(store: Store, bank: str) -> None:
    missing = uuid.uuid4()
    assert await store.memories.get(bank, [missing]) == []
    assert await store.memories.get(bank, []) == []
    assert await store.memories.delete(bank, [missing]) == 0
    assert await store.recall.expand(bank, [missing]) == []
    assert await store.observations.find_by_sources(bank, [missing]) == []
    assert await store.memories.count("no-such-bank") == 0
    for call in (
        store.memories.get_one(bank, missing),
        store.operations.get(bank, missing),
        store.banks.get("no-such-bank"),
        store.documents.get(bank, "no-such-doc"),
    ):
        with pytest.raises(NotFoundError):
            await call


# --------------------------------------------------------------------------- SQL-looking text

SQL_LOOKING = [
    "'; DROP TABLE banks; --",
    '"); DELETE FROM memory_units; --',
    "x' OR '1'='1",
    "1; SELECT pg_sleep(10)",
    "$1 $$ :1 :name ? %s %(x)s {0}",
    "q'[quoted]' &var &&var /* c */ -- c",
    "\\'; \\x27; E'\\\\'",
    "CHR(0) || UNISTR('\\0000')",
    "]]></x><![CDATA[",
]


@pytest.mark.parametrize("text", SQL_LOOKING)
async def test_sql_looking_text_in_every_field_is_data(store: Store, text: str) -> None:
    bank_id = f"{text} {uuid.uuid4().hex[:8]}"
    banks_before = (await table_row_counts(store))["banks"]
    await store.banks.create(bank_id, name=text, metadata={text: text})
    assert (await store.banks.get(bank_id))["metadata"] == {text: text}
    assert any(b["bank_id"] == bank_id for b in await store.banks.list(after=text, limit=10_000))

    chunk = f"{text}#chunk"
    result = await store.documents.reingest(
        bank_id,
        text,
        text,
        metadata={text: [text]},
        chunks=[ChunkIn(chunk, text)],
        units=[
            unit(1, text=text, context=text, chunk_id=chunk, tags=[text],
                 metadata={text: text}, entities=[EntityIn(text, text[:64])]),
        ],
    )  # fmt: skip
    [uid] = result.unit_ids
    stored = await store.documents.get(bank_id, text)
    assert (stored["document_id"], stored["content"], stored["metadata"]) == (
        text, text, {text: [text]},
    )  # fmt: skip
    [c] = await store.documents.chunks(bank_id, text)
    assert (c["chunk_id"], c["text"]) == (chunk, text)
    [row] = await store.memories.list(bank_id, MemoryFilter(tags=[text], document_id=text))
    assert (row["id"], row["text"], row["context"], row["chunk_id"]) == (uid, text, text, chunk)
    [ent] = await store.recall.entities_of(bank_id, [uid])
    assert (ent["name"], ent["entity_type"]) == (text, text[:64])
    assert (await store.entities.by_name(bank_id, text))["name"] == text
    obs = await store.observations.create(
        bank_id, text, embedding(2), [uid], tags=[text], metadata={text: text}
    )
    assert [o["id"] for o in await store.observations.find_by_sources(bank_id, [uid])] == [obs]
    assert isinstance(await store.recall.fulltext(bank_id, text), list)
    recalled = await store.recall.recall(bank_id, RecallQuery(embedding(1), text=text))
    assert uid in recalled.unit_ids()

    await store.banks.delete(bank_id)
    assert (await table_row_counts(store))["banks"] == banks_before  # the table is intact


async def test_sql_looking_operations_and_worker_ids_are_data(fresh_store: Store) -> None:
    s = fresh_store
    s.operations.base_backoff = timedelta(hours=1)  # a failed one stays out of later claims
    for text in SQL_LOOKING:
        await s.banks.create(text)
        child = OperationIn(text[:64], {"k": text})
        parent, child_id = await s.operations.submit(
            text, OperationIn(text[:64], {text: text}, children=[child])
        )
        [solo] = await s.operations.submit(text, OperationIn(text[:64], {text: text}))
        claimed = await s.operations.claim(text, 10)
        assert sorted(r["id"] for r in claimed) == sorted([child_id, solo])  # parent waits
        assert all(r["claimed_by"] == text for r in claimed)
        await s.operations.complete(text, child_id, text, {text: text}, attempt=1)
        failed = await s.operations.fail(text, solo, text, text, attempt=1)
        assert (failed["error_message"], failed["status"]) == (text, "pending")
        assert (await s.operations.get(text, child_id))["result"] == {text: text}
        assert (await s.operations.get(text, parent))["payload"] == {text: text}
        assert await s.operations.counts(text) == {"completed": 2, "pending": 1}
        assert [c["payload"] for c in await s.operations.children(text, parent)] == [{"k": text}]
    assert len(await s.banks.list(limit=100)) == len(SQL_LOOKING)


# --------------------------------------------------------------------------- hostile full text

#: Queries that mention "fox" among operators and punctuation: every backend finds the fox.
FINDS_FOX = [
    "fox",
    "fox & !",
    "fox | | |",
    "(fox",
    "fox)",
    "fox:*",
    "fox:A",
    "'fox'",
    '"fox',
    "fox\\",
    "\\fox\\\\",
    "fox <->",
    "fox OR",
    "AND fox",
    "{fox}",
    "fox; --",
    "fox %",
    "fox _",
    "fox ~ ^ $ ?",
    "fox,,,,,,",
    "FOX",
    "Fox!!!",
    "fox " + "=" * 9_000,
]
#: Queries with no searchable word: an empty result, never an error.
NO_WORDS = [
    "!",
    "&|!()",
    "'",
    '"',
    "\\",
    "\\\\\\",
    ":*",
    "<->",
    "-",
    "--",
    "()",
    "{}",
    "[]",
    "%",
    "*",
    "~",
    "?",
    " ",
    "\t\n",
    ".,;:!?",
    "'\"'\"'",
    "&" * 10_000,
    "the and of a",  # stop words only
    "🦊",
    "\u200b",
    "---- ++++ ****",
]


FOX = "the quick brown fox jumps over the lazy dog"


@pytest.fixture
async def fox_bank(store: Store, bank: str) -> str:
    await store.memories.retain(
        bank,
        [
            unit(1, text=FOX),
            unit(2, text="a completely unrelated memory about databases"),
            unit(3, text="Füchse und Bären: ein Wald voller Tiere"),
        ],
    )
    return bank


@pytest.mark.parametrize("query", FINDS_FOX, ids=lambda q: repr(q[:24]))
async def test_hostile_query_still_finds_its_word(store: Store, fox_bank: str, query: str) -> None:
    rows = await store.recall.fulltext(fox_bank, query, k=10)
    assert [r["text"] for r in rows] == [FOX]
    result = await store.recall.recall(fox_bank, RecallQuery(embedding(1), text=query, k_text=5))
    assert [r["text"] for r in result.text] == [FOX]


@pytest.mark.parametrize("query", NO_WORDS, ids=lambda q: repr(q[:24]))
async def test_query_without_words_is_an_empty_result(
    store: Store, fox_bank: str, query: str
) -> None:
    assert await store.recall.fulltext(fox_bank, query) == []
    result = await store.recall.recall(fox_bank, RecallQuery(embedding(1), text=query))
    assert result.text == []


UNICODE_QUERIES = ["Füchse", "BÄREN", "日本語のテキスト", "مرحبا بالعالم", "Ελληνικά", "ﬁ ligature"]


@pytest.mark.parametrize("query", UNICODE_QUERIES)
async def test_unicode_queries_never_fail(store: Store, fox_bank: str, query: str) -> None:
    rows = await store.recall.fulltext(fox_bank, query, k=3)
    assert len(rows) <= 3
    assert all(isinstance(r["score"], float) for r in rows)


async def test_errors_are_all_typed(store: Store, bank: str) -> None:
    """A sample of every failure kind: each is a MemrepoError subclass, none a driver error."""
    failures = [
        store.banks.get("missing"),
        store.memories.retain("no-such-bank", [unit(1)]),
        store.memories.retain(bank, [unit(1, embedding=[1.0])]),
        store.recall.fulltext(bank, "\x00"),
    ]
    for call in failures:
        with pytest.raises(MemrepoError):
            await call
    counts = await bank_row_counts(store, bank)
    assert counts.pop("banks") == 1 and set(counts.values()) == {0}
