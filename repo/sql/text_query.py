"""Any user text -> the full-text query of one mode, for PostgreSQL.

Two modes, the same on both dialects (Oracle's forms: `repo.sql.oracle_text`):

- `all`: every term must match. PostgreSQL passes the text to `websearch_to_tsquery`
  unchanged (its web-search syntax, quotes, `or`, `-`, is honoured; it accepts any text).
- `any`: any of the query's words matches, ranked by the dialect's relevance (more of
  them, closer together, ranks higher). The words are the ones Oracle's builder keeps
  (runs of Unicode letters and digits, at most 64), each quoted and joined by `or`:
  `"cats" or "dogs"`. Inside quotes `websearch_to_tsquery` reads no operator (a word
  `or` is a word), and the text has no other syntax, so any input is a valid query; text
  without any word (or only stop words) is an empty query, which matches nothing.
"""

from __future__ import annotations

from repo.sql.oracle_text import oracle_text_words


def websearch_query(user_text: str, mode: str = "all") -> str:
    """The `websearch_to_tsquery` input for `user_text` in `mode` (see module doc)."""
    if mode == "all":
        return user_text
    if mode == "any":
        return " or ".join(f'"{word}"' for word in oracle_text_words(user_text))
    raise ValueError(f"unknown text mode {mode!r}")
