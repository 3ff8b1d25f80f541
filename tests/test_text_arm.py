"""The text arm: over text and context, per fact type, all-terms and any-term modes, safe
for any text in both modes, and (PostgreSQL) planned on the stored vector's GIN index."""

from __future__ import annotations

import json

import asyncpg
import pytest

from repo.backends.postgres.driver import DIALECT
from repo.errors import ValidationError
from repo.models import RecallQuery
from repo.repositories.recall.arms import FULLTEXT
from repo.store import Store
from repo.urls import asyncpg_url
from schema.tables import SEARCH_VECTOR_INDEX
from tests.helpers import embedding, unit

pytestmark = pytest.mark.integration

TEXTS = [
    ("the quick amber fox", None, "world"),
    ("a lazy amber hound", "seen near the quick river", "experience"),
    ("nothing relevant here", "but the context says amber", "observation"),
    ("quick quick amber amber", None, "world"),
]


async def _load(store: Store, bank: str) -> dict[str, str]:
    units = [
        unit(i, text=text, context=context, fact_type=fact_type)
        for i, (text, context, fact_type) in enumerate(TEXTS)
    ]
    ids = await store.memories.retain(bank, units)
    return {text: str(uid) for (text, _, _), uid in zip(TEXTS, ids, strict=True)}


def _texts(rows: list[object]) -> list[str]:
    return [r["text"] for r in rows]  # type: ignore[index]


async def test_text_and_context_are_searched(store: Store, bank: str) -> None:
    await _load(store, bank)
    found = await store.recall.fulltext(bank, "amber", k=10)
    assert set(_texts(found)) == {t for t, _, _ in TEXTS}
    # "river" is only in a context.
    assert _texts(await store.recall.fulltext(bank, "river")) == ["a lazy amber hound"]


async def test_all_terms_and_any_term_modes(store: Store, bank: str) -> None:
    await _load(store, bank)
    both = await store.recall.fulltext(bank, "quick hound", k=10)
    assert _texts(both) == ["a lazy amber hound"]  # quick (context) and hound (text)
    either = await store.recall.fulltext(bank, "quick hound", k=10, mode="any")
    assert set(_texts(either)) == {"the quick amber fox", "a lazy amber hound",
                                   "quick quick amber amber"}  # fmt: skip
    # Ranked by ts_rank_cd / SCORE: two matches (either word) above one.
    order = _texts(either)
    assert order.index("a lazy amber hound") < order.index("the quick amber fox")
    assert order.index("quick quick amber amber") < order.index("the quick amber fox")
    assert [float(r["score"]) for r in either] == sorted(
        (float(r["score"]) for r in either), reverse=True
    )
    # A word the any-term mode would take as an operator is a word.
    assert _texts(await store.recall.fulltext(bank, "or fox", mode="any")) == [
        "the quick amber fox"
    ]


async def test_text_arm_per_fact_type(store: Store, bank: str) -> None:
    await _load(store, bank)
    world = await store.recall.fulltext(bank, "amber", k=10, fact_types=["world"])
    assert {r["fact_type"] for r in world} == {"world"} and len(world) == 2
    two = await store.recall.fulltext(
        bank, "amber", k=10, fact_types=["observation", "experience"], mode="any"
    )
    assert sorted(r["fact_type"] for r in two) == ["experience", "observation"]

    query = RecallQuery(embedding=embedding(0), text="amber", fact_types=["observation"])
    result = await store.recall.recall(bank, query)
    assert _texts(result.text) == ["nothing relevant here"]
    assert set(result.semantic) == {"observation"}
    anyq = RecallQuery(
        embedding=embedding(0), text="hound fox", text_mode="any", fact_types=["world"]
    )
    assert _texts((await store.recall.recall(bank, anyq)).text) == ["the quick amber fox"]


async def test_bad_mode_and_fact_types_are_validation_errors(store: Store, bank: str) -> None:
    with pytest.raises(ValidationError, match="mode"):
        await store.recall.fulltext(bank, "amber", mode="some")
    with pytest.raises(ValidationError, match="fact_types"):
        await store.recall.fulltext(bank, "amber", fact_types=["nope"])
    with pytest.raises(ValidationError, match="text_mode"):
        await store.recall.recall(
            bank, RecallQuery(embedding=embedding(0), text="amber", text_mode="ALL")
        )


async def test_text_arm_plans_on_the_stored_vector_index(store: Store, bank: str) -> None:
    """Structural: the text arm reads the stored vector through its GIN index and never
    computes to_tsvector per row (no timing): 5 matches among 1,505 units of the bank."""
    if store.backend.name != "postgresql":
        pytest.skip("PostgreSQL's plan; Oracle's CONTAINS uses its Oracle Text indexes")
    units = [unit(i, text=f"filler text number {i} plain") for i in range(1500)]
    units += [unit(2000 + i, text=f"zebracorn sighting {i}") for i in range(5)]
    await store.memories.retain(bank, units)
    plan = await _explain(store, FULLTEXT.compiled(DIALECT).sql, ["zebracorn", bank, 20])
    assert SEARCH_VECTOR_INDEX in json.dumps(plan)
    assert "to_tsvector" not in json.dumps(plan)
    rows = await store.recall.fulltext(bank, "zebracorn", k=20)
    assert len(rows) == 5


async def _explain(store: Store, sql: str, args: list[object]) -> object:
    """The plan of `sql` for `args` after ANALYZE, on a connection of its own."""
    conn = await asyncpg.connect(asyncpg_url(store.url))
    try:
        await conn.execute(f'SET search_path TO "{store.schema}", public')
        await conn.execute("ANALYZE memory_units")
        raw = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args)
    finally:
        await conn.close()
    return json.loads(raw)


async def test_context_at_its_limit_is_stored_and_its_start_is_searched(
    store: Store, bank: str
) -> None:
    """A context of 1,000,000 characters of distinct words (the costliest kind for a stored
    vector) is stored; its first 8,192 characters are searched on PostgreSQL."""
    from repo.validation.text import MAX_TEXT_LENGTH
    from tests.test_reliability_input_types import cyrillic_words

    context = "openingword " + cyrillic_words(MAX_TEXT_LENGTH - 12)
    [uid] = await store.memories.retain(bank, [unit(1, text="short text", context=context)])
    assert [r["id"] for r in await store.recall.fulltext(bank, "openingword")] == [uid]
    [row] = await store.memories.get(bank, [uid])
    assert row["context"] == context
