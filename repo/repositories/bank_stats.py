"""Per-bank figures from counters, in one round trip, at a cost that does not grow with the
bank: one SELECT of scalar subqueries over the bank's `bank_stat_deltas` rows (and its
bank row), none over the counted tables.

Database triggers (revision 0010) add signed delta rows in the transaction of every write
that changes a figure (insert-only: concurrent writers of a bank touch no shared row), so
a figure is the sum of its kind's rows. Folding replaces a bank's rows by one row per kind
with the same sums: it locks the rows it folds with SKIP LOCKED (two folders take disjoint
rows and never wait for each other; writers never wait for a folder), and readers see
either the rows or their fold (one transaction). `banks.stats` folds a bank whose rows
pass `FOLD_THRESHOLD`, so a read costs at most about that many rows plus the writes since.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from repo.backends.base import Backend
from repo.repositories.locks import lock_bank
from repo.rows import Row
from repo.sql import Statement, in_uuids
from schema.tables import FACT_TYPES, LINK_TYPES, bank_stat_deltas, banks

_BANK = sa.bindparam("bank_id", type_=banks.c.bank_id.type)
_d = bank_stat_deltas.c
#: A bank's counter rows past which `banks.stats` folds them.
FOLD_THRESHOLD = 256
#: Most rows one fold takes (a bank with more is folded by further calls).
FOLD_BATCH = 10_000

#: kind -> result column of the statement.
KINDS = {
    **{f"units:{ft}": f"units_{ft}" for ft in FACT_TYPES},
    **{f"links:{lt}": f"links_{lt}" for lt in LINK_TYPES},
    "entities": "entities",
    "documents": "documents",
    "operations:pending": "operations_pending",
    "operations:waiting": "operations_waiting",
    "operations:failed": "operations_failed",
}


def _deltas(value: Any, *where: sa.ColumnElement[bool]) -> Any:
    return (
        sa.select(value).select_from(bank_stat_deltas).where(_d.bank_id == _BANK, *where)
    ).scalar_subquery()


def _literal(value: str) -> sa.ColumnElement[str]:
    return sa.literal_column(f"'{value}'", sa.String())


_total = sa.func.coalesce(sa.func.sum(_d.delta), sa.literal_column("0"))
_COLUMNS = [
    sa.select(banks.c.name).where(banks.c.bank_id == _BANK).scalar_subquery().label("name"),
    sa.select(banks.c.updated_at)
    .where(banks.c.bank_id == _BANK)
    .scalar_subquery()
    .label("bank_written_at"),
    *(_deltas(_total, _d.kind == _literal(kind)).label(col) for kind, col in KINDS.items()),
    _deltas(sa.func.max(_d.written_at)).label("counted_written_at"),
    _deltas(sa.func.count()).label("counter_rows"),
]
STATS = Statement("banks.stats", sa.select(*_COLUMNS))

_FOLDABLE = sa.select(_d.id, _d.kind, _d.delta, _d.written_at).where(_d.bank_id == _BANK)
FOLDABLE = Statement(
    "banks.stats_foldable",
    _FOLDABLE.limit(sa.bindparam("limit")).with_for_update(skip_locked=True),
    # ORA-02014: no FETCH FIRST with FOR UPDATE; the backend fetches n rows instead.
    overrides={"oracle": _FOLDABLE.with_for_update(skip_locked=True)},
)
FOLD_DELETE = Statement(
    "banks.stats_fold_delete",
    sa.delete(bank_stat_deltas).where(_d.bank_id == _BANK, in_uuids(_d.id, "ids")),
)
DELTA_COLUMNS = ["bank_id", "id", "kind", "delta", "written_at"]


async def fold(db: Backend, bank_id: str, limit: int = FOLD_BATCH) -> int:
    """Replace up to `limit` of the bank's counter rows (those no other fold holds) by one
    row per kind with the same sum and latest time; return how many rows were folded."""
    async with db.transaction():
        if not await lock_bank(db, bank_id, required=False):
            return 0
        rows = await db.fetch_locked(FOLDABLE, {"bank_id": bank_id}, limit)
        if len(rows) < 2:
            return 0
        await db.execute(FOLD_DELETE, {"bank_id": bank_id, "ids": [r["id"] for r in rows]})
        await db.bulk_insert(bank_stat_deltas, DELTA_COLUMNS, folded(bank_id, rows))
    return len(rows)


def folded(bank_id: str, rows: Sequence[Row]) -> list[tuple[Any, ...]]:
    """One counter row per kind of `rows`: the sum of its deltas, its latest time."""
    sums: dict[str, int] = {}
    latest: dict[str, datetime | None] = {}
    for r in rows:
        kind, at = r["kind"], r["written_at"]
        sums[kind] = sums.get(kind, 0) + int(r["delta"])
        known = latest.get(kind)
        latest[kind] = at if known is None or (at is not None and at > known) else known
    return [
        (bank_id, uuid.uuid4(), kind, total, latest[kind])
        for kind, total in sorted(sums.items())
        if total != 0 or latest[kind] is not None
    ]


@dataclass(frozen=True, slots=True)
class BankStats:
    """Figures of one bank. `units` counts stored units per fact type (invalidated ones
    included); `observations` is `units["observation"]`; operations by status as
    `operations.counts` reports them: `pending` ones (due or backing off), `waiting`
    parents (never claimed: they roll up from their children) and `failed` ones;
    `last_write_at` is the latest of the bank's profile change and the writes and removals
    of its units, links, entities and documents (a written row's own time; a removal's:
    the database's clock)."""

    units: dict[str, int]
    links: dict[str, int]
    entities: int
    observations: int
    documents: int
    pending_operations: int
    waiting_operations: int
    failed_operations: int
    last_write_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> BankStats:
        units = {ft: int(row[f"units_{ft}"]) for ft in FACT_TYPES}
        writes = [row[k] for k in ("bank_written_at", "counted_written_at")]
        return cls(
            units=units,
            links={lt: int(row[f"links_{lt}"]) for lt in LINK_TYPES},
            entities=int(row["entities"]),
            observations=units["observation"],
            documents=int(row["documents"]),
            pending_operations=int(row["operations_pending"]),
            waiting_operations=int(row["operations_waiting"]),
            failed_operations=int(row["operations_failed"]),
            last_write_at=max(w for w in writes if w is not None),
        )
