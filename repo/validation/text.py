"""Text values: non-empty text without NUL bytes or lone surrogates, ids, unit text within
the full-text index's limit, queries, text modes, tags."""

from __future__ import annotations

from collections.abc import Iterable

from repo.errors import ValidationError
from repo.validation.batches import check_sequence
from repo.validation.scalars import check_choice
from schema.types import ID_LENGTH

#: Longest context, document content or chunk text accepted, in characters.
MAX_TEXT_LENGTH = 1_000_000

#: Longest memory unit text accepted, in characters. Unit text is full-text indexed, and
#: a PostgreSQL tsvector holds at most 1,048,575 bytes of lexemes and positions. The
#: costliest text found needs 7.5 bytes of them per character (distinct hyphenated pairs
#: of 4-byte letters, e.g. "𠀀-𠀁": the pair and both parts are lexemes; Cyrillic words
#: need 2.3), so 131,072 characters (8 bytes each) always fit the index.
MAX_INDEXED_TEXT_LENGTH = 131_072

#: Longest full-text query accepted, in characters.
MAX_QUERY_LENGTH = 10_000


def check_text(field: str, value: object, *, max_length: int = MAX_TEXT_LENGTH) -> str:
    """Non-empty text without NUL bytes or lone surrogates, at most `max_length` characters.

    Empty text is rejected because Oracle stores `''` as NULL.
    """
    if not isinstance(value, str):
        raise ValidationError(field, f"expected str, got {type(value).__name__}")
    if not value:
        raise ValidationError(field, "must not be empty")
    if len(value) > max_length:
        raise ValidationError(field, f"longer than {max_length} characters")
    if "\x00" in value:
        raise ValidationError(field, "contains a NUL byte")
    if not value.isascii():  # ASCII text holds no surrogates: skip the encoding
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError(field, "is not valid UTF-8 (lone surrogate)") from None
    return value


def check_optional_text(
    field: str, value: object, *, max_length: int = MAX_TEXT_LENGTH
) -> str | None:
    return None if value is None else check_text(field, value, max_length=max_length)


def check_id(field: str, value: object) -> str:
    """A string identifier (bank, document, chunk): 1..255 characters, no NUL."""
    return check_text(field, value, max_length=ID_LENGTH)


def check_tags(field: str, values: Iterable[object] | None) -> list[str]:
    if values is None:
        return []
    values = check_sequence(field, values, "strings")
    if len(values) > 1000:
        raise ValidationError(field, "more than 1000 tags")
    tags = [check_text(field, v, max_length=ID_LENGTH) for v in values]
    return list(dict.fromkeys(tags))


def check_indexed_text(field: str, value: object) -> str:
    """Memory unit text: `check_text` within the full-text index's limit
    (`MAX_INDEXED_TEXT_LENGTH`)."""
    return check_text(field, value, max_length=MAX_INDEXED_TEXT_LENGTH)


#: The text arm's modes: all terms (the default) or any term, ranked (repo/sql/text_query.py).
TEXT_MODES = ("all", "any")


def check_text_mode(field: str, value: object) -> str:
    """A text arm mode: `all` (every term) or `any` (any term, ranked)."""
    return check_choice(field, value, TEXT_MODES, "text mode")


def check_query(field: str, value: object) -> str:
    """A user full-text query: any text up to `MAX_QUERY_LENGTH`, no NUL bytes."""
    return check_text(field, value, max_length=MAX_QUERY_LENGTH)
