"""Embeddings: exactly `dim` finite float32 numbers, from any ordered sequence of numbers or a
one-dimensional float buffer (copied in one step), checked without a loop over the
elements where the data allows it."""

from __future__ import annotations

import functools
import math
import numbers
import struct
import sys
from array import array
from collections.abc import Iterable, Mapping, Sequence, Set

from repo.errors import ValidationError

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
