"""Single values: UUIDs (and lists of them), fact and link types, weights, limits and
counts, timezone-aware datetimes, keyset positions."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from repo.errors import ValidationError
from repo.validation.batches import MAX_BATCH, check_sequence
from schema.tables import FACT_TYPES, LINK_TYPES

#: Largest `limit` / `k` accepted by any read.
MAX_LIMIT = 10_000


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


def check_choice(field: str, value: object, choices: tuple[str, ...], kind: str) -> str:
    """One of `choices` (a `kind`, named in the error: "unknown fact type ...")."""
    if value not in choices:
        raise ValidationError(field, f"unknown {kind} {value!r:.40}; expected one of {choices}")
    return str(value)


def check_fact_type(field: str, value: object) -> str:
    return check_choice(field, value, FACT_TYPES, "fact type")


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
    return check_choice(field, value, LINK_TYPES, "link type")


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
