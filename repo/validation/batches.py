"""Containers: sequences (never a string, mapping or set), batches of input models, the
model type itself; and a pause of the garbage collector while a batch is validated."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator, Sequence
from typing import TypeVar

from repo.errors import ValidationError

T = TypeVar("T")

#: Most items in one batch write.
MAX_BATCH = 100_000


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


def check_sequence(field: str, values: object, what: str) -> Sequence[object]:
    """A list, tuple or other sequence of items (never a string, bytes, a mapping, a set
    or a scalar: each of those is a caller's mistake, not a batch)."""
    if isinstance(values, str | bytes):
        raise ValidationError(field, f"expected a sequence of {what}, got a string")
    if not isinstance(values, Sequence):
        raise ValidationError(field, f"expected a sequence of {what}, got {type(values).__name__}")
    return values


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
