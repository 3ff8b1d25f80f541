"""JSON objects (metadata, payloads, results): bounded in bytes of compact UTF-8 JSON, no NUL
or lone surrogate in any string, refused before serialising when they cannot fit."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from repo.errors import ValidationError

#: Largest metadata object (banks, documents, units) accepted, in bytes of UTF-8 JSON.
MAX_METADATA_BYTES = 1_048_576

#: Largest operation payload or result accepted, in bytes of UTF-8 JSON (room for a
#: whole document of `text.MAX_TEXT_LENGTH` characters).
MAX_PAYLOAD_BYTES = 8 * 1_048_576


class JsonObject(dict[str, Any]):
    """A validated JSON object with its compact UTF-8 text (`utf8`), so a driver codec can
    send it without serialising it a second time. Built fresh by `check_json`; a copy of
    the caller's mapping, so later changes to that mapping do not reach it."""

    __slots__ = ("utf8",)
    utf8: bytes


def check_json(
    field: str, value: object, *, max_bytes: int = MAX_METADATA_BYTES
) -> JsonObject | None:
    """A JSON object (or None) of at most `max_bytes` bytes of compact UTF-8 JSON, whose
    strings hold no NUL bytes or lone surrogates.

    An object that cannot fit is refused before it is serialised (see `_json_floor`).
    """
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValidationError(field, f"expected a mapping, got {type(value).__name__}")
    if _json_floor(value, max_bytes) > max_bytes:
        raise ValidationError(field, f"larger than {max_bytes} bytes of JSON")
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ValidationError(field, f"not JSON-serialisable: {exc}") from None
    except RecursionError:
        raise ValidationError(field, "nested too deeply") from None
    # "\\u0000" in `text` is only a quick pre-check: the 6 valid characters `\u0000`
    # (a backslash, then "u0000") serialise to it too, so look at the strings themselves.
    if "\\u0000" in text and any("\x00" in s for s in _strings(value)):
        raise ValidationError(field, "contains a NUL character")
    try:
        utf8 = text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(field, "is not valid UTF-8 (lone surrogate)") from None
    if len(utf8) > max_bytes:
        raise ValidationError(field, f"larger than {max_bytes} bytes of JSON")
    out = JsonObject(value)
    out.utf8 = utf8
    return out


def _json_floor(value: object, limit: int) -> int:
    """A lower bound of the size of `value` as JSON, counted until it passes `limit`.

    A string costs at least its length and quotes, any other item at least one byte, so
    the walk stops after at most `limit` items however large the value is."""
    total = 0
    stack = [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, Mapping):
            total += 1 + len(item)  # braces, colons and commas
            if total <= limit:
                stack.extend(item.keys())
                stack.extend(item.values())
        elif isinstance(item, list | tuple):
            total += 1 + len(item)  # brackets and commas
            if total <= limit:
                stack.extend(item)
        else:
            total += 1
    return total


def _strings(value: object) -> Iterator[str]:
    """Every string in a JSON-like value, keys included (iteratively: any depth)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
