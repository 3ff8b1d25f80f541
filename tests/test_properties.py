"""Property tests: the PostgreSQL full-text path never fails in the database, and the
input validators accept exactly the values their contracts describe.

The validator properties are pure (no database). Each compares a validator with an
independent oracle written from its docstring. The full-text property runs against the
session store with a bank created once per module (no function-scoped fixture under
`@given`). Oracle's full-text builder has its own properties in tests/test_oracle_text.py.
"""

from __future__ import annotations

import json
import math
import uuid
from array import array
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from repo.errors import ValidationError
from repo.models import RecallQuery
from repo.sql.oracle_text import oracle_text_words
from repo.store import Store
from repo.validation.embeddings import check_embedding
from repo.validation.json_objects import check_json
from repo.validation.scalars import (
    MAX_LIMIT,
    check_fact_types,
    check_limit,
    check_uuid,
    check_weight,
)
from repo.validation.text import MAX_QUERY_LENGTH, check_id, check_query, check_tags, check_text
from schema.tables import FACT_TYPES
from schema.types import ID_LENGTH
from tests.helpers import embedding, unit

pytestmark = pytest.mark.reliability

PURE = settings(max_examples=200, deadline=None, database=None)
DB = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Any code point, plus what most strategies leave out: NUL and lone surrogates.
ANY_CHAR = st.one_of(
    st.characters(codec=None),
    st.characters(categories=["Cs"]),
    st.just("\x00"),
)
OPERATORS = list("&|!():*'\"\\-<>~@#$%^{}[];,.?/=+_ \t\n")


def is_clean(text: str) -> bool:
    """No NUL byte and no lone surrogate (so it encodes as UTF-8)."""
    return "\x00" not in text and not any(0xD800 <= ord(c) <= 0xDFFF for c in text)


# --------------------------------------------------------------------------- check_text


@PURE
@given(st.text(ANY_CHAR, max_size=40), st.integers(1, 30))
@example("a\x00", 5)
@example("\udc80", 5)
@example("x" * 5, 5)
@example("x" * 6, 5)
def test_check_text_accepts_exactly_clean_non_empty_text_within_length(
    value: str, max_length: int
) -> None:
    if value and len(value) <= max_length and is_clean(value):
        assert check_text("f", value, max_length=max_length) is value
    else:
        with pytest.raises(ValidationError):
            check_text("f", value, max_length=max_length)


@PURE
@given(st.one_of(st.none(), st.integers(), st.binary(), st.floats(), st.lists(st.text())))
def test_check_text_rejects_every_non_string(value: object) -> None:
    with pytest.raises(ValidationError):
        check_text("f", value)


@PURE
@given(st.text(st.characters(codec="utf-8"), min_size=ID_LENGTH - 3, max_size=ID_LENGTH + 3))
def test_ids_are_at_most_255_characters_whatever_their_bytes(value: str) -> None:
    if len(value) <= ID_LENGTH and "\x00" not in value:
        assert check_id("id", value) == value
    else:
        with pytest.raises(ValidationError):
            check_id("id", value)


@PURE
@given(st.integers(MAX_QUERY_LENGTH - 2, MAX_QUERY_LENGTH + 2), st.sampled_from("q€😀"))
def test_queries_are_at_most_10000_characters(n: int, char: str) -> None:
    if n <= MAX_QUERY_LENGTH:
        assert check_query("q", char * n) == char * n
    else:
        with pytest.raises(ValidationError):
            check_query("q", char * n)


# --------------------------------------------------------------------------- check_embedding

#: The smallest magnitude that float32 rounds to infinity (halfway between its largest
#: finite value, 2**128 - 2**104, and 2**128; the tie rounds to even, i.e. to 2**128).
F32_OVERFLOW = 2.0**128 - 2.0**103
F32_MAX = 2.0**128 - 2.0**104

COMPONENTS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-F32_OVERFLOW * 1.01, F32_OVERFLOW * 1.01),
    st.sampled_from([F32_MAX, -F32_MAX, F32_OVERFLOW, -F32_OVERFLOW, 5e-324, -0.0]),
    st.integers(-(2**64), 2**64),
)


@PURE
@given(st.lists(COMPONENTS, max_size=8), st.integers(1, 6))
@example([F32_MAX], 1)
@example([F32_OVERFLOW], 1)
@example([math.nextafter(F32_OVERFLOW, 0.0)], 1)
def test_check_embedding_accepts_exactly_finite_float32_vectors_of_the_dimension(
    values: list[float], dim: int
) -> None:
    finite32 = all(math.isfinite(float(v)) and abs(float(v)) < F32_OVERFLOW for v in values)
    # Not a zero vector: the float32 squared norm must not underflow (NaN cosine).
    normed = finite32 and math.hypot(*array("f", [float(v) for v in values])) >= 2.0**-63
    if len(values) == dim and normed:
        out = check_embedding("e", values, dim)
        assert out == array("f", [float(v) for v in values])  # stored as float32
        assert check_embedding("e", tuple(values), dim) == out  # any sequence
    else:
        with pytest.raises(ValidationError):
            check_embedding("e", values, dim)


def _not_a_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return True
    return False


@PURE
@given(
    st.one_of(
        st.text(),
        st.binary(),
        st.none(),
        st.integers(),
        # Components must be numbers (anything with __float__, numpy's too); strings,
        # numeric or not, are not.
        st.lists(st.text(min_size=1).filter(_not_a_number), min_size=1),
        st.lists(st.one_of(st.none(), st.binary(), st.lists(st.floats())), min_size=1),
    )
)
def test_check_embedding_rejects_non_vectors(value: object) -> None:
    with pytest.raises(ValidationError):
        check_embedding("e", value, 1)


# --------------------------------------------------------------------------- numbers, ids


@PURE
@given(
    st.one_of(
        st.integers(-(10**20), 10**20),
        st.integers(-2, MAX_LIMIT + 2),
        st.booleans(),
        st.floats(),
        st.text(max_size=3),
        st.none(),
    )
)
def test_check_limit_accepts_exactly_ints_from_1_to_the_maximum(value: object) -> None:
    if type(value) is int and 1 <= value <= MAX_LIMIT:
        assert check_limit("k", value) == value
    else:
        with pytest.raises(ValidationError):
            check_limit("k", value)


@PURE
@given(st.one_of(st.floats(), st.integers(-3, 3), st.booleans(), st.text(max_size=2)))
def test_check_weight_accepts_exactly_numbers_from_0_to_1(value: object) -> None:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1:
        assert check_weight("w", value) == float(value)  # NaN fails the range test
    else:
        with pytest.raises(ValidationError):
            check_weight("w", value)


@PURE
@given(st.uuids(), st.sampled_from([str, lambda u: u.hex, lambda u: f"{{{u}}}", lambda u: u.urn]))
def test_check_uuid_accepts_every_uuid_spelling(value: uuid.UUID, spell: Any) -> None:
    assert check_uuid("id", value) is value
    assert check_uuid("id", spell(value)) == value
    assert check_uuid("id", str(value).upper()) == value


@PURE
@given(st.one_of(st.text(ANY_CHAR, max_size=40), st.binary(max_size=16), st.integers(), st.none()))
def test_check_uuid_rejects_anything_else_with_a_typed_error(value: object) -> None:
    try:
        parsed = uuid.UUID(value) if isinstance(value, str) else None  # type: ignore[arg-type]
    except ValueError:
        parsed = None
    if parsed is not None:
        assert check_uuid("id", value) == parsed
    else:
        with pytest.raises(ValidationError):
            check_uuid("id", value)


# --------------------------------------------------------------------------- collections

JSON_TEXT = st.text(st.one_of(ANY_CHAR, st.sampled_from(["\\", "u", "0"])), max_size=8)
JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=True, allow_infinity=True),
    JSON_TEXT,
)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(JSON_TEXT, inner, max_size=4)
    ),
    max_leaves=12,
)


def json_is_storable(value: Any) -> bool:
    """Oracle for check_json: every string clean, every float finite."""
    if isinstance(value, str):
        return is_clean(value)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(map(json_is_storable, value))
    if isinstance(value, dict):
        return all(json_is_storable(k) and json_is_storable(v) for k, v in value.items())
    return True


@settings(PURE, max_examples=100)
@given(st.dictionaries(JSON_TEXT, JSON_VALUE, max_size=5))
@example({"path": "C:\\u0000dir"})  # a backslash, then "u0000": text, not a NUL
@example({"k": ["\x00"]})
@example({"\udc80": 1})
@example({"x": math.inf})
def test_check_json_accepts_exactly_storable_objects(value: dict[str, Any]) -> None:
    if json_is_storable(value):
        out = check_json("m", value)
        assert out == value
        assert json.loads(json.dumps(out)) == value  # what the database will store
    else:
        with pytest.raises(ValidationError):
            check_json("m", value)


@PURE
@given(st.lists(st.text(ANY_CHAR, max_size=6), max_size=12))
def test_check_tags_keeps_first_occurrences_of_clean_tags(tags: list[str]) -> None:
    if all(t and is_clean(t) for t in tags):
        assert check_tags("t", tags) == list(dict.fromkeys(tags))
    else:
        with pytest.raises(ValidationError):
            check_tags("t", tags)


@PURE
@given(st.lists(st.sampled_from([*FACT_TYPES, "opinion", "World", ""]), max_size=6))
def test_check_fact_types_returns_a_canonical_subset(chosen: list[str]) -> None:
    if chosen and set(chosen) <= set(FACT_TYPES):
        assert check_fact_types("f", chosen) == tuple(ft for ft in FACT_TYPES if ft in chosen)
    else:
        with pytest.raises(ValidationError):
            check_fact_types("f", chosen)


# --------------------------------------------------------------------------- full text (DB)

WORDS = ["fox", "quick", "brown", "the", "OR", "AND", "NOT", "NEAR", "<->", ":*", "-", '"']
QUERIES = st.one_of(
    st.text(ANY_CHAR, max_size=120),
    st.text(st.sampled_from(OPERATORS), max_size=60),
    st.lists(st.sampled_from(WORDS + OPERATORS), max_size=25).map(" ".join),
    st.lists(st.sampled_from(WORDS + OPERATORS), max_size=25).map("".join),
    st.builds(
        lambda c, n: c * n, st.sampled_from(["x", "&", "é", " ", "\\"]), st.integers(9_990, 10_010)
    ),
)


@pytest.fixture(scope="module")
async def text_bank(store: Store) -> AsyncIterator[str]:
    if store.backend.name != "postgresql":
        pytest.skip("Oracle's full-text builder has its own properties (test_oracle_text.py)")
    bank_id = f"props-{uuid.uuid4().hex[:12]}"
    await store.banks.create(bank_id)
    await store.memories.retain(
        bank_id,
        [
            unit(1, text="the quick brown fox"),
            unit(2, text="NOT a fox: quotes \"'\\ and & | ! operators"),
            unit(3, text="Füchse, 日本語, and emoji 🦊"),
        ],
    )
    yield bank_id
    await store.banks.delete(bank_id)


@pytest.mark.integration
@DB
@given(query=QUERIES, mode=st.sampled_from(["all", "any"]))
@example(query="fox & | ! ( ) : * ' \" \\", mode="all")
@example(query="fox & | ! ( ) : * ' \" \\", mode="any")
@example(query='or OR "or" the', mode="any")
@example(query="", mode="any")
@example(query="\x00", mode="all")
async def test_fulltext_never_fails_in_the_database(
    store: Store, text_bank: str, query: str, mode: str
) -> None:
    """Both text modes: any text is a ValidationError or a ranked result; in the any-term
    mode a query holding the word `fox` finds a unit with it, whatever else it holds."""
    valid = bool(query) and len(query) <= MAX_QUERY_LENGTH and is_clean(query)
    if not valid:
        with pytest.raises(ValidationError):
            await store.recall.fulltext(text_bank, query, mode=mode)
        return
    rows = await store.recall.fulltext(text_bank, query, k=5, mode=mode)  # no DatabaseError
    assert len(rows) <= 5
    assert all(r["bank_id"] == text_bank and isinstance(r["score"], float) for r in rows)
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    if mode == "any" and "fox" in oracle_text_words(query):  # the words the mode keeps
        assert any("fox" in r["text"].lower().split() for r in rows), query
    combined = await store.recall.recall(
        text_bank,
        RecallQuery(embedding(1), text=query, k_semantic=1, k_text=5, text_mode=mode),
    )
    assert sorted(r["id"] for r in combined.text) == sorted(r["id"] for r in rows)
