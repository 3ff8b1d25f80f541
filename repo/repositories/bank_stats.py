"""Per-bank figures in one round trip: one SELECT of scalar subqueries, each answered by
an index on `bank_id` (units by fact type, entities by name, documents by key,
operations by status)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from repo.rows import Row
from repo.sql import Statement
from schema.tables import (
    FACT_TYPES,
    LINK_TYPES,
    async_operations,
    banks,
    documents,
    entities,
    memory_links,
    memory_units,
)

_BANK = sa.bindparam("bank_id", type_=banks.c.bank_id.type)


def _scalar(table: sa.Table, value: Any, *where: sa.ColumnElement[bool]) -> Any:
    return (
        sa.select(value).select_from(table).where(table.c.bank_id == _BANK, *where)
    ).scalar_subquery()


def _count(table: sa.Table, *where: sa.ColumnElement[bool]) -> Any:
    return _scalar(table, sa.func.count(), *where)


def _literal(value: str) -> sa.ColumnElement[str]:
    return sa.literal_column(f"'{value}'", sa.String())


_u, _l, _o = memory_units.c, memory_links.c, async_operations.c
_COLUMNS = [
    _scalar(banks, banks.c.name).label("name"),
    *(_count(memory_units, _u.fact_type == _literal(ft)).label(f"units_{ft}") for ft in FACT_TYPES),
    *(_count(memory_links, _l.link_type == _literal(lt)).label(f"links_{lt}") for lt in LINK_TYPES),
    _count(entities).label("entities"),
    _count(documents).label("documents"),
    _count(async_operations, _o.status == _literal("pending")).label("operations_pending"),
    _count(async_operations, _o.status == _literal("failed")).label("operations_failed"),
    _scalar(banks, banks.c.updated_at).label("bank_written_at"),
    _scalar(memory_units, sa.func.max(_u.created_at)).label("unit_written_at"),
    _scalar(documents, sa.func.max(documents.c.updated_at)).label("document_written_at"),
]
STATS = Statement("banks.stats", sa.select(*_COLUMNS))


@dataclass(frozen=True, slots=True)
class BankStats:
    """Figures of one bank. `units` counts stored units per fact type (invalidated ones
    included); `observations` is `units["observation"]`; `last_write_at` is the latest of
    the bank's profile change, newest unit and newest document write."""

    units: dict[str, int]
    links: dict[str, int]
    entities: int
    observations: int
    documents: int
    pending_operations: int
    failed_operations: int
    last_write_at: datetime

    @classmethod
    def from_row(cls, row: Row) -> BankStats:
        units = {ft: int(row[f"units_{ft}"]) for ft in FACT_TYPES}
        writes = [row[k] for k in ("bank_written_at", "unit_written_at", "document_written_at")]
        return cls(
            units=units,
            links={lt: int(row[f"links_{lt}"]) for lt in LINK_TYPES},
            entities=int(row["entities"]),
            observations=units["observation"],
            documents=int(row["documents"]),
            pending_operations=int(row["operations_pending"]),
            failed_operations=int(row["operations_failed"]),
            last_write_at=max(w for w in writes if w is not None),
        )
