"""Curation of memory units: invalidate (archive) and restore, list invalidated units,
tags with counts, and unit counts per day or week.

An invalidated unit keeps its row, links, entity mentions and sources: restore brings it
back as it was. Until then no list or recall returns it (`visibility.visible`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from repo.errors import ValidationError
from repo.repositories.memory_list import MemoryListing
from repo.repositories.visibility import UNIT_COLUMNS, visible
from repo.rows import Row
from repo.sql import Statement, StatementFamily, in_uuids
from repo.sql.aggregates import BUCKETS, tag_elements, time_bucket
from repo.validation.batches import check_batch
from repo.validation.scalars import check_datetime, check_keyset, check_limit, check_uuids
from repo.validation.text import check_id
from schema.tables import memory_units

_u = memory_units.c
_BANK = sa.bindparam("bank_id", type_=_u.bank_id.type)
_NOW = sa.bindparam("now", type_=_u.updated_at.type)
#: Longest window of `counts_over_time`, in buckets.
MAX_BUCKETS = 3660

INVALIDATE = Statement(
    "memories.invalidate",
    sa.update(memory_units)
    .where(_u.bank_id == _BANK, in_uuids(_u.id, "ids"), visible())
    .values(invalidated_at=_NOW, updated_at=_NOW),
)
RESTORE = Statement(
    "memories.restore",
    sa.update(memory_units)
    .where(_u.bank_id == _BANK, in_uuids(_u.id, "ids"), _u.invalidated_at.is_not(None))
    .values(invalidated_at=sa.null(), updated_at=_NOW),
)


def _invalidated(after: bool) -> sa.Select[Any]:
    stmt = sa.select(*UNIT_COLUMNS).where(_u.bank_id == _BANK, _u.invalidated_at.is_not(None))
    if after:
        at = sa.bindparam("after_invalidated_at", type_=_u.invalidated_at.type)
        after_id = sa.bindparam("after_id", type_=_u.id.type)
        stmt = stmt.where(
            sa.or_(_u.invalidated_at < at, sa.and_(_u.invalidated_at == at, _u.id < after_id))
        )
    return stmt.order_by(_u.invalidated_at.desc(), _u.id.desc()).limit(sa.bindparam("limit"))


LIST_INVALIDATED = StatementFamily(
    "memories.list_invalidated", _invalidated, [{"after": False}, {"after": True}]
)

_tags = tag_elements(_u.tags, "t")
TAGS = Statement(
    "memories.tags",
    sa.select(_tags.c.tag, sa.func.count().label("units"))
    .select_from(memory_units, _tags)
    .where(_u.bank_id == _BANK, visible())
    .group_by(_tags.c.tag)
    .order_by(sa.func.count().desc(), _tags.c.tag),
)


def _series(bucket: str) -> sa.Select[Any]:
    start = time_bucket(_u.created_at, bucket).label("bucket")
    return (
        sa.select(start, sa.func.count().label("units"))
        .where(
            _u.bank_id == _BANK,
            visible(),
            _u.created_at >= sa.bindparam("since", type_=_u.created_at.type),
            _u.created_at < sa.bindparam("until", type_=_u.created_at.type),
        )
        .group_by(start)
        .order_by(start)
    )


SERIES = StatementFamily("memories.counts_over_time", _series, [{"bucket": b} for b in BUCKETS])


def bucket_start(moment: datetime, bucket: str) -> datetime:
    """The UTC start of the day or ISO week (Monday) holding `moment`."""
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday()) if bucket == "week" else day


class Curation(MemoryListing):
    async def _mark(self, stmt: Statement, bank_id: str, ids: Sequence[uuid.UUID | str]) -> int:
        check_id("bank_id", bank_id)
        unit_ids = sorted(set(check_uuids("ids", ids)))  # one lock order for every caller
        check_batch("ids", unit_ids)
        return await self.db.execute(stmt, {"bank_id": bank_id, "ids": unit_ids, "now": self.now()})

    async def invalidate(self, bank_id: str, ids: Sequence[uuid.UUID | str]) -> int:
        """Archive units: kept with their links, never listed or recalled until restored.
        Returns how many were valid before."""
        return await self._mark(INVALIDATE, bank_id, ids)

    async def restore(self, bank_id: str, ids: Sequence[uuid.UUID | str]) -> int:
        """Bring invalidated units back; returns how many were invalidated."""
        return await self._mark(RESTORE, bank_id, ids)

    async def list_invalidated(
        self,
        bank_id: str,
        *,
        limit: int = 100,
        after: Row | tuple[datetime, uuid.UUID] | None = None,
    ) -> list[Row]:
        """Invalidated units, most recently invalidated first (keyset by `after`)."""
        params: dict[str, Any] = {
            "bank_id": check_id("bank_id", bank_id),
            "limit": check_limit("limit", limit),
        }
        if after is not None:
            at, unit_id = check_keyset("after", after, "invalidated_at")
            params["after_invalidated_at"], params["after_id"] = at, unit_id
        return await self.db.fetch(LIST_INVALIDATED.shape(after=after is not None), params)

    async def tags(self, bank_id: str) -> list[tuple[str, int]]:
        """Every tag of the bank's valid units with how many units carry it, most used
        first (ties by tag)."""
        rows = await self.db.fetch(TAGS, {"bank_id": check_id("bank_id", bank_id)})
        return [(r["tag"], int(r["units"])) for r in rows]

    async def counts_over_time(
        self, bank_id: str, since: datetime, until: datetime, *, bucket: str = "day"
    ) -> list[tuple[datetime, int]]:
        """Units created per UTC day or ISO week in [since, until), one entry per bucket
        from the one holding `since` to the one before `until`, empty buckets as 0."""
        params = {
            "bank_id": check_id("bank_id", bank_id),
            "since": check_datetime("since", since),
            "until": check_datetime("until", until),
        }
        if not isinstance(bucket, str) or bucket not in BUCKETS:
            raise ValidationError("bucket", f"expected one of {tuple(BUCKETS)}")
        if until <= since:
            raise ValidationError("until", "must be after since")
        step = timedelta(days=7 if bucket == "week" else 1)
        first = bucket_start(since, bucket)
        if (until - first) / step > MAX_BUCKETS:
            raise ValidationError("until", f"window longer than {MAX_BUCKETS} buckets")
        rows = await self.db.fetch(SERIES.shape(bucket=bucket), params)
        counts = {r["bucket"].astimezone(UTC): int(r["units"]) for r in rows}
        out = []
        start = first
        while start < until:
            out.append((start, counts.get(start, 0)))
            start += step
        return out
