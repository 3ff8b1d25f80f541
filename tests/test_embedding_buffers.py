"""Embeddings given as buffers (numpy arrays, `array('f')`, memoryviews): one copy, no
element-by-element conversion, the same validation as any other sequence."""

from __future__ import annotations

import math
import struct
import sys
from array import array
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from repo.errors import ValidationError
from repo.models import MemoryIn, RecallQuery
from repo.store import Store
from repo.validation.embeddings import check_embedding
from tests.helpers import embedding

F32_MAX = float(np.finfo(np.float32).max)


class NoElementAccess(np.ndarray):  # type: ignore[type-arg]
    """A numpy array that fails on any per-element access from Python."""

    def __iter__(self) -> Any:
        raise AssertionError("iterated element by element")

    def __getitem__(self, key: Any) -> Any:
        raise AssertionError("indexed element by element")

    def tolist(self) -> Any:
        raise AssertionError("converted to a list")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_vectors_are_copied_without_touching_elements(dtype: Any) -> None:
    values = np.asarray(embedding(1, dim=8), dtype=dtype).view(NoElementAccess)
    out = check_embedding("e", values, 8)
    assert out == array("f", [float(x) for x in np.asarray(values, dtype=np.float32)])
    assert out.typecode == "f"


def test_buffers_and_sequences_give_the_same_float32_array() -> None:
    values = embedding(2, dim=16)
    expected = check_embedding("e", values, 16)
    f32 = array("f", values)
    for given_ in (
        np.array(values, dtype=np.float32),
        np.array(values),
        f32,
        memoryview(f32),
        np.array(values, dtype=">f4"),  # foreign byte order: the element-wise path
        np.repeat(np.array(values, dtype=np.float32), 2)[::2],  # strided: element-wise
    ):
        assert check_embedding("e", given_, 16) == expected
    # The result is a copy: changing the input afterwards changes nothing.
    arr = np.array(values, dtype=np.float32)
    out = check_embedding("e", arr, 16)
    arr[0] = 99.0
    assert out == expected


@pytest.mark.parametrize(
    "bad",
    [
        np.array([0.1, np.nan, 0.3], dtype=np.float32),
        np.array([np.inf, 0.0, 0.0], dtype=np.float32),
        np.array([0.0, 0.0, -np.inf], dtype=np.float32),
        np.array([0.0, 1e39, 0.0]),  # finite float64 beyond float32
        np.array([0.0, np.nan, 0.0]),
        np.array([0.1, 0.2], dtype=np.float32),  # wrong dimension
        np.zeros((1, 3), dtype=np.float32),  # not one-dimensional
        np.zeros((3, 1), dtype=np.float32),
        np.array(["a", "b", "c"]),
        np.array([b"a", b"b", b"c"]),
    ],
)
def test_bad_numpy_vectors_are_rejected(bad: Any) -> None:
    with pytest.raises(ValidationError):
        check_embedding("e", bad, 3)


def test_float32_max_is_accepted_from_a_buffer() -> None:
    out = check_embedding("e", np.array([F32_MAX, -F32_MAX, 0.0], dtype=np.float64), 3)
    assert list(out) == [F32_MAX, -F32_MAX, 0.0]


@given(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=40))
def test_every_float32_bit_pattern_is_judged_like_math_isfinite(patterns: list[int]) -> None:
    raw = struct.pack(f"={len(patterns)}I", *patterns)
    floats = array("f")
    floats.frombytes(raw)
    finite = all(math.isfinite(x) for x in floats)
    # Zero vectors (also those whose float32 squared norm underflows) are refused too.
    accepted = finite and math.hypot(*floats) >= 2.0**-63
    view = np.frombuffer(raw, dtype=np.float32)
    if accepted:
        assert check_embedding("e", view, len(patterns)) == floats
    else:
        with pytest.raises(ValidationError):
            check_embedding("e", view, len(patterns))


def test_native_byte_order_is_what_the_fast_path_reads() -> None:
    # The fast path reads native float32; a byte-swapped buffer must not be misread.
    swapped = np.array([1.0, 2.0], dtype="<f4" if sys.byteorder == "big" else ">f4")
    assert list(check_embedding("e", swapped, 2)) == [1.0, 2.0]


@pytest.mark.integration
async def test_retain_and_recall_take_numpy_embeddings(store: Store, bank: str) -> None:
    vectors = [np.asarray(embedding(i), dtype=np.float32) for i in range(3)]
    ids = await store.memories.retain(
        bank, [MemoryIn(text=f"numpy {i}", embedding=v) for i, v in enumerate(vectors)]
    )
    rows = {r["id"]: r for r in await store.memories.get(bank, ids)}
    for unit_id, v in zip(ids, vectors, strict=True):
        assert list(rows[unit_id]["embedding"]) == v.tolist()
    nearest = await store.recall.semantic(bank, vectors[1], fact_type="world", k=1)
    assert nearest[0]["id"] == ids[1]
    result = await store.recall.recall(
        bank, RecallQuery(embedding=np.asarray(embedding(2)), k_semantic=1)
    )
    assert result.semantic["world"][0]["id"] == ids[2]
