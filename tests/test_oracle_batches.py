"""MERGE batches larger than one round trip: every chunk's batch errors are read, with the
chunk's offset, and exactly the failed rows are retried (no server: a fake driver).

The fake cursor's `executemany` behaves like python-oracledb thin mode: rows go in round
trips of `batch_size` (default 2**32 - 1, i.e. one), and each round trip's batch errors
*replace* the previous ones, with offsets relative to that round trip (thin
`messages/base.pyx` assigns `cursor_impl._batcherrors` per response). Its table runs the
`entities.upsert` MERGE: a matched key adds `mention_count`; a key that another session
inserts first ("a race") fails that row once with ORA-00001, as a MERGE does.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

import repo.store  # noqa: F401  (registers every statement)
from repo.backends.oracle import OracleBackend
from repo.backends.oracle import batches as oracle_batches
from repo.errors import ConflictError
from repo.repositories.memories import ENTITY_UPSERT

DRIVER_DEFAULT_BATCH_SIZE = 2**32 - 1


class _BatchError:
    def __init__(self, offset: int, code: int) -> None:
        self.offset = offset
        self.code = code
        self.full_code = f"ORA-{code:05d}"
        self.message = f"{self.full_code}: row {offset} of its round trip"


class EntityTable:
    """`entities` as the upsert MERGE sees it: (bank_id, canonical_name) -> mention_count."""

    def __init__(self, races: set[str], failing: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.counts: dict[tuple[str, str], int] = {}
        self.races = set(races)  # keys another session inserts (count 1) just before us
        self.failing = set(failing)  # keys whose row fails with ORA-02290 (check constraint)

    def merge(self, row: dict[str, Any]) -> int:
        """Apply one row; the ORA- code it fails with, or 0."""
        key = (row["bank_id"], row["canonical_name"])
        if row["canonical_name"] in self.failing:
            return 2290
        if row["canonical_name"] in self.races:
            self.races.discard(row["canonical_name"])
            self.counts[key] = 1  # the other session's committed insert
            return 1  # our WHEN NOT MATCHED INSERT collides with it
        self.counts[key] = self.counts.get(key, 0) + row["mention_count"]
        return 0


class DriverLikeCursor:
    def __init__(self, conn: DriverLikeConnection) -> None:
        self.conn = conn
        self._errors: list[_BatchError] = []

    def __enter__(self) -> DriverLikeCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def setinputsizes(self, **sizes: Any) -> None:
        pass

    async def executemany(
        self,
        sql: str,
        rows: list[dict[str, Any]],
        *,
        batcherrors: bool = False,
        batch_size: int = DRIVER_DEFAULT_BATCH_SIZE,
    ) -> None:
        assert sql.startswith("MERGE INTO entities")
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            self.conn.round_trips.append(len(batch))
            self._errors = []  # each round trip's response replaces the batch errors
            for i, row in enumerate(batch):
                code = self.conn.table.merge(row)
                if code and batcherrors:
                    self._errors.append(_BatchError(i, code))  # relative to this round trip
                elif code:
                    raise AssertionError("the backend runs MERGE batches with batcherrors")

    def getbatcherrors(self) -> list[_BatchError]:
        return self._errors


class DriverLikeConnection:
    def __init__(self, table: EntityTable) -> None:
        self.table = table
        self.round_trips: list[int] = []
        self.autocommit = False
        self.transaction_in_progress = False
        self.ended: list[str] = []

    def cursor(self) -> DriverLikeCursor:
        return DriverLikeCursor(self)

    async def commit(self) -> None:
        self.ended.append("commit")

    async def rollback(self) -> None:
        self.ended.append("rollback")


class Pool:
    def __init__(self, conn: DriverLikeConnection) -> None:
        self.conn = conn

    @asynccontextmanager
    async def _acquire(self) -> AsyncIterator[DriverLikeConnection]:
        yield self.conn

    def acquire(self) -> Any:
        return self._acquire()


def _entities(n: int) -> list[dict[str, Any]]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        {"id": uuid.UUID(int=i + 1), "bank_id": "b", "name": f"E{i}", "canonical_name": f"e{i}",
         "entity_type": None, "metadata": None, "mention_count": 1, "created_at": now,
         "updated_at": now}
        for i in range(n)
    ]  # fmt: skip


async def test_merge_batches_over_one_chunk_keep_every_chunks_errors() -> None:
    n = 2 * oracle_batches.BATCH_SIZE + 2000  # three chunks: 5000, 5000, 2000
    races = {"e10", "e4999", "e5000", "e7321", f"e{n - 1}"}  # in every chunk, at its edges
    conn = DriverLikeConnection(EntityTable(races))
    backend = OracleBackend(Pool(conn), "public")

    await backend.executemany(ENTITY_UPSERT, _entities(n))

    counts = conn.table.counts
    assert len(counts) == n
    # Every row applied exactly once; a raced key also has the other session's mention.
    wrong = {k: v for k, v in counts.items() if v != (2 if k[1] in races else 1)}
    assert not wrong, f"mention_count lost or applied twice: {sorted(wrong.items())[:5]}"
    assert conn.round_trips[:3] == [5000, 5000, 2000]
    assert conn.round_trips[3:] == [len(races)]  # one retry of exactly the raced rows
    assert conn.ended == ["commit"]


async def test_other_batch_error_in_an_early_chunk_rolls_back() -> None:
    conn = DriverLikeConnection(EntityTable(set(), failing={"e17"}))
    backend = OracleBackend(Pool(conn), "public")
    with pytest.raises(ConflictError, match="ORA-02290"):
        await backend.executemany(ENTITY_UPSERT, _entities(oracle_batches.BATCH_SIZE + 10))
    assert conn.ended == ["rollback"]


async def test_chunk_offsets_index_all_rows() -> None:
    conn = DriverLikeConnection(EntityTable({"e3", "e9"}))
    errors = await oracle_batches.executemany_chunked(
        conn.cursor(),
        "MERGE INTO entities ...",
        _entities(12),
        sizes={},
        batcherrors=True,
        chunk_size=5,
    )
    assert [(e.offset, e.code, e.full_code) for e in errors] == [
        (3, 1, "ORA-00001"),
        (9, 1, "ORA-00001"),
    ]
    assert conn.round_trips == [5, 5, 2]
