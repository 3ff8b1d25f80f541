"""Bad input raises a typed ValidationError before any SQL runs, and writes nothing."""

from __future__ import annotations

import math
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest

from repo.errors import ValidationError
from repo.models import LinkIn, MemoryIn, OperationIn, RecallQuery
from repo.store import Store
from tests.helpers import embedding, unit

pytestmark = pytest.mark.integration

Case = Callable[[Store, str], Awaitable[Any]]

CASES: dict[str, Case] = {
    "wrong dimension": lambda s, b: s.memories.retain(b, [unit(1, embedding=[0.1] * 383)]),
    "nan in vector": lambda s, b: s.memories.retain(b, [unit(1, embedding=[math.nan] * 384)]),
    "inf in vector": lambda s, b: s.memories.retain(b, [unit(1, embedding=[math.inf, *[0.0] * 383])]),
    "string as vector": lambda s, b: s.memories.retain(b, [unit(1, embedding="0.1,0.2")]),
    "nul in text": lambda s, b: s.memories.retain(b, [unit(1, text="a\x00b")]),
    "lone surrogate": lambda s, b: s.memories.retain(b, [unit(1, text="bad \ud800")]),
    "empty text": lambda s, b: s.memories.retain(b, [unit(1, text="")]),
    "oversized text": lambda s, b: s.memories.retain(b, [unit(1, text="x" * 1_000_001)]),
    "unknown fact type": lambda s, b: s.memories.retain(b, [unit(1, fact_type="opinion")]),
    "naive datetime": lambda s, b: s.memories.retain(b, [unit(1, event_date=datetime(2026, 1, 1))]),
    "nul in metadata": lambda s, b: s.memories.retain(b, [unit(1, metadata={"k": "\x00"})]),
    "non-json metadata": lambda s, b: s.memories.retain(b, [unit(1, metadata={"k": object()})]),
    "string as tags": lambda s, b: s.memories.retain(b, [unit(1, tags="abc")]),
    "empty batch": lambda s, b: s.memories.retain(b, []),
    "duplicate ids": lambda s, b: s.memories.retain(b, [unit(1, id=uuid.UUID(int=1)), unit(2, id=uuid.UUID(int=1))]),
    "bad link type": lambda s, b: s.memories.retain(b, [unit(1)], [LinkIn(uuid.uuid4(), uuid.uuid4(), "friend")]),
    "bad link weight": lambda s, b: s.memories.retain(b, [unit(1)], [LinkIn(uuid.uuid4(), uuid.uuid4(), "causal", 1.5)]),
    "malformed uuid": lambda s, b: s.memories.get(b, ["not-a-uuid"]),
    "empty bank id": lambda s, b: s.memories.retain("", [unit(1)]),
    "oversized bank id": lambda s, b: s.banks.create("b" * 256),
    "negative limit": lambda s, b: s.memories.list(b, limit=-1),
    "zero limit": lambda s, b: s.recall.semantic(b, embedding(1), fact_type="world", k=0),
    "huge limit": lambda s, b: s.recall.fulltext(b, "x", k=10**9),
    "bool limit": lambda s, b: s.memories.list(b, limit=True),
    "unknown recall fact type": lambda s, b: s.recall.recall(b, RecallQuery(embedding=embedding(1), fact_types=["x"])),
    "oversized query": lambda s, b: s.recall.fulltext(b, "q" * 10_001),
    "nul in query": lambda s, b: s.recall.fulltext(b, "a\x00"),
    "empty operation type": lambda s, b: s.operations.submit(b, OperationIn("")),
    "bad entity": lambda s, b: s.memories.retain(b, [MemoryIn(text="x", embedding=embedding(1), entities="Ann")]),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
async def test_bad_input_is_rejected_and_writes_nothing(store: Store, bank: str, case: str) -> None:
    with pytest.raises(ValidationError) as info:
        await CASES[case](store, bank)
    assert info.value.field and info.value.message
    assert await store.memories.count(bank) == 0
    assert await store.operations.counts(bank) == {}


SQL_LOOKING = ["'; DROP TABLE banks; --", '" OR 1=1 --', "$1", ":name", "%(x)s", "\\x00\\'"]


@pytest.mark.parametrize("text", SQL_LOOKING)
async def test_sql_looking_text_is_stored_verbatim(store: Store, bank: str, text: str) -> None:
    [uid] = await store.memories.retain(
        bank,
        [unit(1, text=text, context=text, tags=[text], metadata={text: text}, entities=[text])],
    )
    [row] = await store.memories.get(bank, [uid])
    assert (row["text"], row["context"], list(row["tags"]), row["metadata"]) == (
        text, text, [text], {text: text},
    )  # fmt: skip
    assert isinstance(await store.recall.fulltext(bank, text, k=5), list)
