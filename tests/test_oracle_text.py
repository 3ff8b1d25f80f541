"""`oracle_text_query`: any user text becomes a valid, safe Oracle Text CONTAINS expression.

`validate_expression` checks the grammar we emit against Oracle Text's rules (Oracle Text
Reference, "Special Characters in Oracle Text Queries"): braces escape everything inside
them; outside braces only our operator words and spaces may appear; no empty or nested
braces; no reserved character anywhere outside an escape.
"""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from repo.sql.oracle_text import (
    MAX_EXPRESSION_BYTES,
    MAX_WORD_BYTES,
    MAX_WORDS,
    NO_MATCH,
    oracle_text_query,
    oracle_text_words,
)

#: Characters with a meaning in Oracle Text queries (reserved characters and wildcards).
SPECIAL = set("&|,=?!$%*;-~>()[]{}\\_'\"")
#: Reserved words (operators) that must never appear unescaped except as our joiner.
RESERVED = {
    "ABOUT", "ACCUM", "AND", "BT", "BTG", "BTI", "BTP", "EQUIV", "FUZZY", "HASPATH",
    "INPATH", "MDATA", "MINUS", "NEAR", "NOT", "NT", "NTG", "NTI", "NTP", "OR",
    "PATTERN", "PT", "RT", "SQE", "SYN", "TR", "TRSYN", "TT", "WITHIN",
}  # fmt: skip
OPERATORS = {"ACCUM", "AND", "NOT"}


def validate_expression(expr: str) -> list[str]:
    """The escaped terms of a valid expression; raises AssertionError if it is invalid."""
    assert expr, "empty expression (DRG-50901)"
    assert len(expr.encode("utf-8", "surrogatepass")) <= MAX_EXPRESSION_BYTES
    terms: list[str] = []
    outside: list[str] = []
    i = 0
    while i < len(expr):
        ch = expr[i]
        if ch == "{":
            end = expr.find("}", i + 1)
            assert end != -1, "unbalanced {"
            inner = expr[i + 1 : end]
            assert inner, "empty braces"
            assert "{" not in inner, "nested braces"
            terms.append(inner)
            outside.append(" \x00 ")  # a term placeholder
            i = end + 1
        else:
            assert ch != "}", "unbalanced }"
            outside.append(ch)
            i += 1
    skeleton = "".join(outside)
    assert not (set(skeleton) - {" ", "\x00"} - set("ACUMNOTD")), f"junk outside braces: {expr!r}"
    tokens = skeleton.split()
    # term (OP term)*
    assert tokens and len(tokens) % 2 == 1, expr
    for n, token in enumerate(tokens):
        if n % 2 == 0:
            assert token == "\x00", f"expected a term in {expr!r}"
        else:
            assert token in OPERATORS, f"unexpected operator {token!r}"
            assert token in RESERVED
    for term in terms:
        assert not (set(term) & SPECIAL), f"special character in term {term!r}"
        assert all(c.isalnum() for c in term), term
    return terms


@given(st.text())
@settings(max_examples=500)
@example("")
@example("   ")
@example("{}")
@example("}{")
@example("a}b{c")
@example("AND OR NOT NEAR ACCUM ABOUT WITHIN")
@example("%_*?!$~-;>=&|,\\()[]")
@example("'; DROP TABLE memory_units; --")
@example("\x00\ud800\udfff")
@example("héllo wörld 東京 ١٢٣ ½ ²")
def test_any_text_gives_a_valid_expression(text: str) -> None:
    for mode, operator in (("any", "ACCUM"), ("all", "AND")):
        expr = oracle_text_query(text, mode)
        terms = validate_expression(expr)
        if expr != NO_MATCH:  # one operator per mode, between the same terms
            assert expr == f" {operator} ".join(f"{{{t}}}" for t in terms)
            assert terms == validate_expression(oracle_text_query(text, "any"))


@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1))
def test_terms_are_the_words_of_the_text(text: str) -> None:
    expr = oracle_text_query(text)
    if expr == NO_MATCH:
        assert oracle_text_words(text) == []
        return
    terms = validate_expression(expr)
    assert terms == oracle_text_words(text)
    lowered = text.lower()
    assert all(t in lowered for t in terms)
    assert len(terms) == len(set(terms)) <= MAX_WORDS


def test_reserved_words_are_escaped_terms() -> None:
    assert oracle_text_query("cats AND dogs") == "{cats} ACCUM {and} ACCUM {dogs}"
    assert oracle_text_query("NEAR") == "{near}"


def test_punctuation_splits_words_and_never_reaches_the_query() -> None:
    assert oracle_text_query("AT&T high-voltage 50%") == (
        "{at} ACCUM {t} ACCUM {high} ACCUM {voltage} ACCUM {50}"
    )
    assert oracle_text_query("snake_case") == "{snake} ACCUM {case}"


def test_text_without_words_matches_nothing() -> None:
    for text in ("", "   ", "!!!", "🙂🙃", "{}", "--", "\x00"):
        assert oracle_text_query(text) == NO_MATCH
    assert validate_expression(NO_MATCH) == ["memrepo0nomatch", "memrepo0nomatch"]


def test_duplicates_and_case_collapse() -> None:
    assert oracle_text_query("Memory memory MEMORY recall") == "{memory} ACCUM {recall}"


def test_overlong_words_are_dropped() -> None:
    long_word = "x" * (MAX_WORD_BYTES + 1)
    assert oracle_text_query(f"{long_word} short") == "{short}"
    assert oracle_text_query("é" * (MAX_WORD_BYTES // 2 + 1)) == NO_MATCH


def test_expression_size_is_bounded() -> None:
    many = " ".join(f"word{i}" for i in range(1000))
    expr = oracle_text_query(many)
    assert len(validate_expression(expr)) == MAX_WORDS
    huge = " ".join(f"{i:060d}" for i in range(100))
    assert len(oracle_text_query(huge).encode()) <= MAX_EXPRESSION_BYTES
    assert re.fullmatch(r"\{\d{60}\}( ACCUM \{\d{60}\})*", oracle_text_query(huge))
