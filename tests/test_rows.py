"""The Row protocol: asyncpg.Record satisfies it natively; Oracle rows are dict subclasses."""

from __future__ import annotations

import asyncpg
import pytest

from repo.rows import MappingRow, Row


def test_asyncpg_record_class_has_the_protocol_methods() -> None:
    for name in ("__getitem__", "get", "keys", "values", "items", "__contains__", "__len__"):
        assert hasattr(asyncpg.Record, name), name


def test_mapping_row_satisfies_row() -> None:
    row = MappingRow(id=1, text="x")
    assert isinstance(row, Row)
    assert row["text"] == "x"
    assert row[0] == 1 and row[1] == "x"
    assert row.get("missing") is None
    assert "id" in row and len(row) == 2
    assert list(row.keys()) == ["id", "text"]
    with pytest.raises(KeyError):
        row["missing"]
    with pytest.raises(IndexError):
        row[5]


def test_mapping_row_name_access_is_dicts_own() -> None:
    # No Python-level __getitem__: key access is the C implementation of dict.
    assert MappingRow.__getitem__ is dict.__getitem__
