"""Input validation. Every check runs before any SQL, so bad input writes nothing."""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import math
import numbers
import struct
import sys
import uuid
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from datetime import UTC, datetime
from typing import Any, TypeVar

from repo.errors import ValidationError
from schema.tables import FACT_TYPES, LINK_TYPES
from schema.types import ID_LENGTH

T = TypeVar("T")

#: Longest context, document content or chunk text accepted, in characters.
MAX_TEXT_LENGTH = 1_000_000
#: Longest memory unit text accepted, in characters. Unit text is full-text indexed, and
#: a PostgreSQL tsvector holds at most 1,048,575 bytes of lexemes and positions. The
#: costliest text found needs 7.5 bytes of them per character (distinct hyphenated pairs
#: of 4-byte letters, e.g. "𠀀-𠀁": the pair and both parts are lexemes; Cyrillic words
#: need 2.3), so 131,072 characters (8 bytes each) always fit the index.
MAX_INDEXED_TEXT_LENGTH = 131_072
#: Largest metadata object (banks, documents, units) accepted, in bytes of UTF-8 JSON.
MAX_METADATA_BYTES = 1_048_576
#: Largest operation payload or result accepted, in bytes of UTF-8 JSON (room for a
#: whole document of `MAX_TEXT_LENGTH` characters).
MAX_PAYLOAD_BYTES = 8 * 1_048_576
#: Longest full-text query accepted, in characters.
MAX_QUERY_LENGTH = 10_000
#: Largest `limit` / `k` accepted by any read.
MAX_LIMIT = 10_000
#: Most items in one batch write.
MAX_BATCH = 100_000


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


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a batch is validated: building its
    rows allocates many small containers (none cyclic), which otherwise trigger repeated
    collections of everything the process holds. Only for synchronous code (no await
    inside), so no other task runs while it is paused."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def check_optional_text(
    field: str, value: object, *, max_length: int = MAX_TEXT_LENGTH
) -> str | None:
    return None if value is None else check_text(field, value, max_length=max_length)


def check_id(field: str, value: object) -> str:
    """A string identifier (bank, document, chunk): 1..255 characters, no NUL."""
    return check_text(field, value, max_length=ID_LENGTH)


def check_uuid(field: str, value: object) -> uuid.UUID:
    """A UUID, given as `uuid.UUID` or its string form."""
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise ValidationError(field, f"not a UUID: {value!r:.80}")


def check_sequence(field: str, values: object, what: str) -> Sequence[object]:
    """A list, tuple or other sequence of items (never a string, bytes, a mapping, a set
    or a scalar: each of those is a caller's mistake, not a batch)."""
    if isinstance(values, str | bytes):
        raise ValidationError(field, f"expected a sequence of {what}, got a string")
    if not isinstance(values, Sequence):
        raise ValidationError(field, f"expected a sequence of {what}, got {type(values).__name__}")
    return values


def check_uuids(
    field: str, values: Iterable[object], *, max_items: int = MAX_BATCH
) -> list[uuid.UUID]:
    values = check_sequence(field, values, "UUIDs")
    if len(values) > max_items:
        raise ValidationError(field, f"more than {max_items} ids")
    out = [check_uuid(field, v) for v in values]
    if len(out) > max_items:
        raise ValidationError(field, f"more than {max_items} ids")
    return out


#: Buffer formats read as native float32 without converting element by element
#: (`array('f')`, numpy `float32`, a memoryview of either).
_FLOAT32_FORMATS = frozenset({"f", "@f", "=f", "<f" if sys.byteorder == "little" else ">f"})
#: Native float64 buffers (numpy's default dtype): one C-level narrowing to float32.
_FLOAT64_FORMATS = frozenset({"d", "@d", "=d", "<d" if sys.byteorder == "little" else ">d"})


def _float_buffer(value: object) -> array[float] | None:
    """`value`'s data as `array('f')` when it exposes a one-dimensional, contiguous buffer
    of native float32 (numpy arrays, `array('f')`, memoryviews: one `frombytes` copy) or
    float64 (narrowed by one `struct.pack`), else None. No Python loop over the elements;
    numpy is never imported."""
    try:
        view = memoryview(value)  # type: ignore[arg-type]
    except TypeError:
        return None
    with view:
        if view.ndim != 1 or not view.c_contiguous:
            return None
        if view.format in _FLOAT32_FORMATS:
            floats = array("f")
            floats.frombytes(view.cast("B"))
            return floats
        if view.format in _FLOAT64_FORMATS:
            doubles = array("d")
            doubles.frombytes(view.cast("B"))
            floats = array("f")
            try:
                floats.frombytes(struct.pack(f"={len(doubles)}f", *doubles))
            except OverflowError:  # beyond float32: becomes inf, which the caller rejects
                return array("f", doubles)
            return floats
        return None


@functools.lru_cache(maxsize=16)
def _float32_lanes(n: int) -> tuple[int, int, int]:
    """For `n` float32 lanes packed into one int: the exponent mask of every lane, the
    lowest exponent bit of every lane, and the bit just above every exponent field."""

    def lanes(bits: int) -> int:
        return int.from_bytes(bits.to_bytes(4, sys.byteorder) * n, sys.byteorder)

    return lanes(0x7F800000), lanes(0x00800000), lanes(0x80000000)


def _exponent_checks(floats: array[float]) -> tuple[bool, bool]:
    """Whether no element is NaN or infinite, and whether every element is below 2**-63
    in magnitude, without a loop over the elements.

    A float32 is NaN or infinite exactly when its 8 exponent bits are all set. Read the
    whole buffer as one integer (lanes of 32 bits), keep only the exponent fields, and add
    one to each: a full field carries into the bit above it (the lane's sign bit, cleared
    by the mask), a field that is not full cannot. Adding 192 instead carries exactly
    when the biased exponent is at least 64 (a magnitude of at least 2**-63). Big-integer
    arithmetic runs in C.
    """
    exponents, ones, carries = _float32_lanes(len(floats))
    fields = int.from_bytes(floats.tobytes(), sys.byteorder) & exponents
    finite = (fields + ones) & carries == 0
    return finite, (fields + _tiny_lanes(len(floats))) & carries == 0


def check_embedding(field: str, value: object, dim: int) -> array[float]:
    """Exactly `dim` finite numbers that fit float32 (what both backends store).

    Returns them as `array('f')`, the form both drivers bind without another copy.
    A float buffer (numpy `float32`/`float64`, `array('f')`) is copied in one step; any
    other sequence of numbers is converted element by element.
    """
    if isinstance(value, str | bytes | Set | Mapping):  # text, or no order
        raise ValidationError(field, "expected an ordered sequence of floats")
    floats = _float_buffer(value)
    if floats is None:
        if not isinstance(value, Iterable):
            raise ValidationError(field, "expected a sequence of floats")
        if not isinstance(value, Sequence):
            value = list(value)  # an iterator: read it once
        _check_real_numbers(field, value)
        try:
            floats = array("f", value)
        except (TypeError, ValueError, OverflowError):
            raise ValidationError(field, "expected a sequence of floats") from None
    if len(floats) != dim:
        raise ValidationError(field, f"expected {dim} dimensions, got {len(floats)}")
    # A finite double beyond the float32 range became inf in the conversion: caught too.
    finite, tiny = _exponent_checks(floats)
    if not finite:
        raise ValidationError(field, "contains NaN or infinity, or a value beyond float32")
    if tiny and math.hypot(*floats) < _MIN_NORM:
        raise ValidationError(field, "is a zero vector (or too close to one for cosine)")
    return floats


#: Element types of an embedding sequence accepted without a closer look.
_PLAIN_NUMBERS = frozenset({float, int})
#: The smallest norm whose float32 square is a normal float32 (2**-63): below it the
#: norm pgvector computes in float32 underflows and cosine distance is NaN.
_MIN_NORM = 2.0**-63


def _check_real_numbers(field: str, values: Sequence[object]) -> None:
    """Every element is a real number: not a bool (an int that means something else) and
    not a Decimal (it converts, but is not a float). One C-speed pass over the types."""
    kinds = set(map(type, values))
    if kinds <= _PLAIN_NUMBERS:
        return
    for kind in kinds:
        if issubclass(kind, bool) or not issubclass(kind, numbers.Real):
            raise ValidationError(field, f"expected floats, got {kind.__name__}")


@functools.lru_cache(maxsize=16)
def _tiny_lanes(n: int) -> int:
    """For `n` float32 lanes: 192 in every exponent field (see `_exponent_checks`)."""
    return int.from_bytes((0x60000000).to_bytes(4, sys.byteorder) * n, sys.byteorder)


def check_fact_type(field: str, value: object) -> str:
    if value not in FACT_TYPES:
        raise ValidationError(
            field, f"unknown fact type {value!r:.40}; expected one of {FACT_TYPES}"
        )
    return str(value)


def check_fact_types(field: str, values: Iterable[object] | None) -> tuple[str, ...]:
    """A subset of the fact types, in canonical order; None means all of them."""
    if values is None:
        return FACT_TYPES
    if isinstance(values, str):
        values = [values]
    chosen = {check_fact_type(field, v) for v in check_sequence(field, values, "fact types")}
    if not chosen:
        raise ValidationError(field, "must name at least one fact type")
    return tuple(ft for ft in FACT_TYPES if ft in chosen)


def check_link_type(field: str, value: object) -> str:
    if value not in LINK_TYPES:
        raise ValidationError(
            field, f"unknown link type {value!r:.40}; expected one of {LINK_TYPES}"
        )
    return str(value)


def check_weight(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(field, "expected a number")
    weight = float(value)
    if not (math.isfinite(weight) and 0.0 <= weight <= 1.0):
        raise ValidationError(field, "must be between 0 and 1")
    return weight


def check_limit(field: str, value: object, *, maximum: int = MAX_LIMIT) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, f"expected an int, got {type(value).__name__}")
    if not 1 <= value <= maximum:
        raise ValidationError(field, f"must be between 1 and {maximum}, got {value}")
    return value


def check_count(field: str, value: object, *, maximum: int = 1_000_000) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise ValidationError(field, f"expected an int between 0 and {maximum}")
    return value


def check_datetime(field: str, value: object) -> datetime:
    """A timezone-aware datetime (naive ones are ambiguous across servers)."""
    if not isinstance(value, datetime):
        raise ValidationError(field, f"expected datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(field, "must be timezone-aware")
    try:
        value.astimezone(UTC)  # what both drivers do with it
    except OverflowError:
        raise ValidationError(field, "its UTC instant is outside the years 1 to 9999") from None
    return value


def check_keyset(field: str, after: object, column: str) -> tuple[datetime, uuid.UUID]:
    """A keyset position: the last row of a page (its `column` and `id`) or a
    `(datetime, UUID)` pair."""
    if isinstance(after, tuple):
        if len(after) != 2:
            raise ValidationError(field, f"expected ({column}, id), got {len(after)} items")
        at, unit_id = after
    else:
        try:
            at, unit_id = after[column], after["id"]  # type: ignore[index]
        except (TypeError, LookupError, ValueError):
            raise ValidationError(
                field, f"expected a row with {column} and id or a pair, got {type(after).__name__}"
            ) from None
    return check_datetime(field, at), check_uuid(field, unit_id)


def check_optional_datetime(field: str, value: object) -> datetime | None:
    return None if value is None else check_datetime(field, value)


def check_tags(field: str, values: Iterable[object] | None) -> list[str]:
    if values is None:
        return []
    values = check_sequence(field, values, "strings")
    if len(values) > 1000:
        raise ValidationError(field, "more than 1000 tags")
    tags = [check_text(field, v, max_length=ID_LENGTH) for v in values]
    return list(dict.fromkeys(tags))


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


def check_model(field: str, value: object, kind: type[T]) -> T:
    """An instance of one of the input models (`repo.models`), e.g. not a dict."""
    if not isinstance(value, kind):
        raise ValidationError(field, f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def check_batch(
    field: str,
    items: Sequence[object],
    *,
    allow_empty: bool = False,
    kind: type | tuple[type, ...] | None = None,
) -> None:
    """A sequence of 0 (if `allow_empty`) or 1 to `MAX_BATCH` items, each of `kind`."""
    check_sequence(field, items, "items")
    if not allow_empty and not items:
        raise ValidationError(field, "must not be empty")
    if len(items) > MAX_BATCH:
        raise ValidationError(field, f"more than {MAX_BATCH} items")
    if kind is not None and not all(issubclass(k, kind) for k in set(map(type, items))):
        i, item = next((i, x) for i, x in enumerate(items) if not isinstance(x, kind))
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise ValidationError(f"{field}[{i}]", f"expected {names}, got {type(item).__name__}")


def check_indexed_text(field: str, value: object) -> str:
    """Memory unit text: `check_text` within the full-text index's limit
    (`MAX_INDEXED_TEXT_LENGTH`)."""
    return check_text(field, value, max_length=MAX_INDEXED_TEXT_LENGTH)


#: The text arm's modes: all terms (the default) or any term, ranked (repo/sql/text_query.py).
TEXT_MODES = ("all", "any")


def check_text_mode(field: str, value: object) -> str:
    """A text arm mode: `all` (every term) or `any` (any term, ranked)."""
    if value not in TEXT_MODES:
        raise ValidationError(
            field, f"unknown text mode {value!r:.40}; expected one of {TEXT_MODES}"
        )
    return str(value)


def check_query(field: str, value: object) -> str:
    """A user full-text query: any text up to `MAX_QUERY_LENGTH`, no NUL bytes."""
    return check_text(field, value, max_length=MAX_QUERY_LENGTH)
