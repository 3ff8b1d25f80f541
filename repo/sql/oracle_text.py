"""Any user text -> a safe Oracle Text `CONTAINS` expression.

Oracle Text gives meaning to reserved words (AND, NEAR, ABOUT, WITHIN, ...) and to many
characters (`& | , = ? ! $ % * ; - ~ > ( ) [ ] { } \\`); an unescaped one in user text is
a DRG syntax error or a different query. We never pass user text through: we keep only
its words (runs of Unicode letters and digits), wrap each in braces, which escape
everything inside them ("Special Characters in Oracle Text Queries" in the Oracle Text
Reference), and join them with ACCUM. The emitted grammar is exactly::

    expression := term (operator term)*  |  NO_MATCH
    operator   := " AND " (mode `all`)  |  " ACCUM " (mode `any`)
    term       := "{" word "}"          word: 1+ letters/digits, at most 64 UTF-8 bytes

Mode `all` (AND) matches documents containing every word, like PostgreSQL's
websearch_to_tsquery; a stopword operand of AND is dropped by Oracle Text ("non_stopword
AND stopword" is rewritten to "non_stopword": Oracle Text Reference, Stopword
Transformations). Mode `any` (ACCUM) matches documents containing any of the words and
ranks documents containing more of them higher.

Text without any word (only punctuation, emoji, spaces) becomes `NO_MATCH`, a valid
expression that matches no document (`{x} NOT {x}`), so the repository needs no special
case and never sends Oracle an empty or invalid query. A word that is a stopword is
accepted by Oracle Text and simply matches nothing.
"""

from __future__ import annotations

import re

#: Letters and digits of any script (Python's `\\w` without the underscore).
_WORD = re.compile(r"[^\W_]+")

#: Words longer than this (in UTF-8 bytes) are dropped: Oracle Text index tokens are at
#: most 64 bytes, so such a word could never match anyway.
MAX_WORD_BYTES = 64
#: At most this many distinct words are used (the first ones in the text).
MAX_WORDS = 64
#: Upper bound of the whole expression in bytes (the CONTAINS query is a VARCHAR2 bind).
MAX_EXPRESSION_BYTES = 2000

OPERATOR = " ACCUM "
#: The operator joining the words, per text mode.
OPERATORS = {"all": " AND ", "any": OPERATOR}
_NO_MATCH_WORD = "memrepo0nomatch"
#: A syntactically valid query that matches no document.
NO_MATCH = f"{{{_NO_MATCH_WORD}}} NOT {{{_NO_MATCH_WORD}}}"


def oracle_text_words(user_text: str) -> list[str]:
    """The distinct lower-cased words of `user_text` that go into the query, in order."""
    words: dict[str, None] = {}
    budget = MAX_EXPRESSION_BYTES
    for match in _WORD.finditer(user_text):
        word = match.group().lower()
        size = len(word.encode("utf-8", "surrogatepass"))
        if word in words or size > MAX_WORD_BYTES:
            continue
        cost = size + 2 + (len(OPERATOR) if words else 0)  # the longest operator
        if cost > budget:
            break
        words[word] = None
        budget -= cost
        if len(words) == MAX_WORDS:
            break
    return list(words)


def oracle_text_query(user_text: str, mode: str = "any") -> str:
    """A CONTAINS expression matching documents with every (`all`) or any (`any`) word of
    `user_text` (see module doc)."""
    operator = OPERATORS.get(mode)
    if operator is None:
        raise ValueError(f"unknown text mode {mode!r}")
    words = oracle_text_words(user_text)
    if not words:
        return NO_MATCH
    return operator.join(f"{{{w}}}" for w in words)
