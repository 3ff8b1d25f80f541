"""Input validation. Every check runs before any SQL, so bad input writes nothing."""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import math
import struct
import sys
import uuid
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from repo.errors import ValidationError
from schema.tables import FACT_TYPES, LINK_TYPES
from schema.types import ID_LENGTH

#: Longest memory text, context or document content accepted, in characters.
MAX_TEXT_LENGTH = 1_000_000
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


def _all_finite(floats: array[float]) -> bool:
    """Whether no element is NaN or infinite, without a loop over the elements.

    A float32 is NaN or infinite exactly when its 8 exponent bits are all set. Read the
    whole buffer as one integer (lanes of 32 bits), keep only the exponent fields, and add
    one to each: a full field carries into the bit above it (the lane's sign bit, cleared
    by the mask), a field that is not full cannot. Big-integer arithmetic runs in C.
    """
    exponents, ones, carries = _float32_lanes(len(floats))
    packed = int.from_bytes(floats.tobytes(), sys.byteorder)
    return ((packed & exponents) + ones) & carries == 0


def check_embedding(field: str, value: object, dim: int) -> array[float]:
    """Exactly `dim` finite numbers that fit float32 (what both backends store).

    Returns them as `array('f')`, the form both drivers bind without another copy.
    A float buffer (numpy `float32`/`float64`, `array('f')`) is copied in one step; any
    other sequence of numbers is converted element by element.
    """
    if isinstance(value, str | bytes):
        raise ValidationError(field, "expected a sequence of floats")
    floats = _float_buffer(value)
    if floats is None:
        if not isinstance(value, Iterable):
            raise ValidationError(field, "expected a sequence of floats")
        try:
            floats = array("f", value)
        except (TypeError, ValueError, OverflowError):
            raise ValidationError(field, "expected a sequence of floats") from None
    if len(floats) != dim:
        raise ValidationError(field, f"expected {dim} dimensions, got {len(floats)}")
    # A finite double beyond the float32 range became inf in the conversion: caught too.
    if not _all_finite(floats):
        raise ValidationError(field, "contains NaN or infinity, or a value beyond float32")
    return floats


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


def check_json(field: str, value: object) -> JsonObject | None:
    """A JSON object (or None) whose strings hold no NUL bytes or lone surrogates."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValidationError(field, f"expected a mapping, got {type(value).__name__}")
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
    out = JsonObject(value)
    out.utf8 = utf8
    return out


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


def check_batch(field: str, items: Sequence[object], *, allow_empty: bool = False) -> None:
    check_sequence(field, items, "items")
    if not allow_empty and not items:
        raise ValidationError(field, "must not be empty")
    if len(items) > MAX_BATCH:
        raise ValidationError(field, f"more than {MAX_BATCH} items")


def check_query(field: str, value: object) -> str:
    """A user full-text query: any text up to `MAX_QUERY_LENGTH`, no NUL bytes."""
    return check_text(field, value, max_length=MAX_QUERY_LENGTH)
