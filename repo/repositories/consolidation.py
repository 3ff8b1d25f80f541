"""Consolidation state of memory units: find, count and mark units not yet consolidated
into observations. Each method is one statement.

A unit is unconsolidated while `consolidated_at`, `consolidation_failed_at` and
`invalidated_at` are all NULL. Marking a unit consolidated clears a failure; marking it
failed keeps it out of `find_unconsolidated` until it is marked consolidated or reset.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from repo.repositories.base import Repository
from repo.repositories.visibility import UNIT_COLUMNS, visible
from repo.rows import Row
from repo.sql import Statement, StatementFamily, flag_shapes, in_texts, in_uuids, tags_overlap
from repo.validation.batches import check_batch
from repo.validation.scalars import check_fact_types, check_keyset, check_limit, check_uuids
from repo.validation.text import check_id, check_tags
from schema.tables import memory_units

_u = memory_units.c
_BANK = sa.bindparam("bank_id", type_=_u.bank_id.type)
_NOW = sa.bindparam("now", type_=_u.updated_at.type)

#: Fact types consolidated when the caller names none: observations are the output.
DEFAULT_FACT_TYPES = ("world", "experience")


def _pending(tags: bool) -> list[sa.ColumnElement[bool]]:
    where = [
        _u.bank_id == _BANK,
        _u.consolidated_at.is_(None),
        _u.consolidation_failed_at.is_(None),
        visible(),
        in_texts(_u.fact_type, "fact_types"),
    ]
    if tags:
        where.append(tags_overlap(_u.tags, "tags"))
    return where


def _find(tags: bool, after: bool) -> sa.Select[Any]:
    stmt = sa.select(*UNIT_COLUMNS).where(*_pending(tags))
    if after:
        created = sa.bindparam("after_created_at", type_=_u.created_at.type)
        after_id = sa.bindparam("after_id", type_=_u.id.type)
        stmt = stmt.where(
            sa.or_(_u.created_at > created, sa.and_(_u.created_at == created, _u.id > after_id))
        )
    return stmt.order_by(_u.created_at, _u.id).limit(sa.bindparam("limit"))


def _count(tags: bool) -> sa.Select[Any]:
    return sa.select(sa.func.count()).select_from(memory_units).where(*_pending(tags))


FIND = StatementFamily("consolidation.find", _find, flag_shapes("tags", "after"))
COUNT = StatementFamily("consolidation.count", _count, flag_shapes("tags"))
MARK_CONSOLIDATED = Statement(
    "consolidation.mark_consolidated",
    sa.update(memory_units)
    .where(_u.bank_id == _BANK, in_uuids(_u.id, "ids"))
    .values(consolidated_at=_NOW, consolidation_failed_at=sa.null(), updated_at=_NOW),
)
MARK_FAILED = Statement(
    "consolidation.mark_failed",
    sa.update(memory_units)
    .where(_u.bank_id == _BANK, in_uuids(_u.id, "ids"), _u.consolidated_at.is_(None))
    .values(consolidation_failed_at=_NOW, updated_at=_NOW),
)
RESET = Statement(
    "consolidation.reset",
    sa.update(memory_units)
    .where(_u.bank_id == _BANK, in_uuids(_u.id, "ids"))
    .values(consolidated_at=sa.null(), consolidation_failed_at=sa.null(), updated_at=_NOW),
)


class ConsolidationRepository(Repository):
    def _filter(
        self, bank_id: str, fact_types: Sequence[str] | None, tags: Sequence[str] | None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "bank_id": check_id("bank_id", bank_id),
            "fact_types": list(
                DEFAULT_FACT_TYPES
                if fact_types is None
                else check_fact_types("fact_types", fact_types)
            ),
        }
        if tags is not None:
            params["tags"] = check_tags("tags", tags)
        return params

    async def find_unconsolidated(
        self,
        bank_id: str,
        *,
        fact_types: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        limit: int = 100,
        after: Row | tuple[datetime, uuid.UUID] | None = None,
    ) -> list[Row]:
        """Unconsolidated units, oldest first (world and experience facts unless
        `fact_types` says otherwise; `tags`: any of them). Pass the last row as `after`
        for the next page."""
        params = self._filter(bank_id, fact_types, tags)
        params["limit"] = check_limit("limit", limit)
        if after is not None:
            created, unit_id = check_keyset("after", after, "created_at")
            params["after_created_at"], params["after_id"] = created, unit_id
        stmt = FIND.shape(tags=tags is not None, after=after is not None)
        return await self.db.fetch(stmt, params)

    async def count_unconsolidated(
        self,
        bank_id: str,
        *,
        fact_types: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
    ) -> int:
        params = self._filter(bank_id, fact_types, tags)
        return int(await self.db.fetchval(COUNT.shape(tags=tags is not None), params))

    async def _mark(self, stmt: Statement, bank_id: str, ids: Sequence[uuid.UUID | str]) -> int:
        check_id("bank_id", bank_id)
        unit_ids = sorted(set(check_uuids("ids", ids)))  # one lock order for every caller
        check_batch("ids", unit_ids)
        return await self.db.execute(stmt, {"bank_id": bank_id, "ids": unit_ids, "now": self.now()})

    async def mark_consolidated(self, bank_id: str, ids: Sequence[uuid.UUID | str]) -> int:
        """Mark units consolidated (clearing any failure); return how many were marked."""
        return await self._mark(MARK_CONSOLIDATED, bank_id, ids)

    async def mark_failed(self, bank_id: str, ids: Sequence[uuid.UUID | str]) -> int:
        """Mark units whose consolidation failed (consolidated units are left alone)."""
        return await self._mark(MARK_FAILED, bank_id, ids)

    async def reset(self, bank_id: str, ids: Sequence[uuid.UUID | str]) -> int:
        """Make units unconsolidated again (e.g. to retry failed ones)."""
        return await self._mark(RESET, bank_id, ids)
