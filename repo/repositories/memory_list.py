"""Listing memory units: filters, a safe substring filter on the text, keyset pages, and
the total number of matches. Invalidated units are never listed here (see `visibility`)."""

from __future__ import annotations

import uuid
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, overload

import sqlalchemy as sa

from repo.models import MemoryFilter
from repo.repositories.base import Repository
from repo.repositories.recall.filters import bind_filter
from repo.repositories.visibility import UNIT_COLUMNS, visible
from repo.rows import Row
from repo.sql import StatementFamily, in_texts, tags_overlap
from repo.sql.filters import EXAMPLE_SHAPES, NO_FILTER, FilterShape, filter_clauses
from repo.validation.batches import check_model
from repo.validation.scalars import (
    check_fact_types,
    check_keyset,
    check_limit,
    check_optional_datetime,
)
from repo.validation.text import check_id, check_tags, check_text
from schema.tables import memory_units
from schema.types import ID_LENGTH

_u = memory_units.c

_FILTER_FLAGS = ("fact_types", "tags", "since", "until", "document_id", "text")
#: The character that escapes LIKE wildcards in a substring filter (no backslash: its
#: meaning in string literals differs between PostgreSQL settings and Oracle).
LIKE_ESCAPE = "!"


def like_pattern(fragment: str) -> str:
    """A LIKE pattern matching `fragment` anywhere, its `%` and `_` taken literally."""
    escaped = (
        fragment.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", f"{LIKE_ESCAPE}%")
        .replace("_", f"{LIKE_ESCAPE}_")
    )
    return f"%{escaped.lower()}%"


def _filtered(
    stmt: sa.Select[Any],
    fact_types: bool,
    tags: bool,
    since: bool,
    until: bool,
    document_id: bool,
    text: bool,
    where: FilterShape = NO_FILTER,
) -> sa.Select[Any]:
    stmt = stmt.where(_u.bank_id == sa.bindparam("bank_id"), visible())
    stmt = stmt.where(*filter_clauses(where, _u))
    if fact_types:
        stmt = stmt.where(in_texts(_u.fact_type, "fact_types"))
    if tags:
        stmt = stmt.where(tags_overlap(_u.tags, "tags"))
    if since:
        stmt = stmt.where(_u.event_date >= sa.bindparam("since", type_=_u.event_date.type))
    if until:
        stmt = stmt.where(_u.event_date < sa.bindparam("until", type_=_u.event_date.type))
    if document_id:
        stmt = stmt.where(_u.document_id == sa.bindparam("document_id"))
    if text:
        pattern = sa.bindparam("text_pattern", type_=sa.String())
        stmt = stmt.where(sa.func.lower(_u.text).like(pattern, escape=LIKE_ESCAPE))
    return stmt


def _list(after: bool, **flags: Any) -> sa.Select[Any]:
    stmt = _filtered(sa.select(*UNIT_COLUMNS), **flags)
    if after:
        # Keyset pagination without row-value comparison (Oracle has none).
        created = sa.bindparam("after_created_at", type_=_u.created_at.type)
        stmt = stmt.where(
            sa.or_(
                _u.created_at < created,
                sa.and_(
                    _u.created_at == created, _u.id < sa.bindparam("after_id", type_=_u.id.type)
                ),
            )
        )
    return stmt.order_by(_u.created_at.desc(), _u.id.desc()).limit(sa.bindparam("limit"))


def _count(**flags: Any) -> sa.Select[Any]:
    return _filtered(sa.select(sa.func.count()).select_from(memory_units), **flags)


def _each_and_all(*names: str) -> list[dict[str, Hashable]]:
    """Golden shapes: no flag, each flag alone, every flag (others compile on first use)."""
    alone: list[dict[str, Hashable]] = [{n: n == name for n in names} for name in names]
    return [dict.fromkeys(names, False), *alone, dict.fromkeys(names, True)]


def _with_recall_filters(*names: str) -> list[dict[str, Hashable]]:
    """The golden shapes, and each example recall filter with no other flag."""
    plain = dict.fromkeys(names, False)
    examples = [{**plain, "where": shape.rows_only()} for shape in EXAMPLE_SHAPES]
    return [*_each_and_all(*names), *examples]


LIST = StatementFamily("memories.list", _list, _with_recall_filters("after", *_FILTER_FLAGS))
COUNT_MATCHING = StatementFamily(
    "memories.count_matching", _count, _with_recall_filters(*_FILTER_FLAGS)
)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of units and the number of units matching the filters on every page."""

    rows: list[Row]
    total: int


def filter_params(bank_id: str, f: MemoryFilter) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validated parameters and statement flags of a filter (`where` only when present)."""
    where, params = bind_filter(f.where, "where")
    params["bank_id"] = check_id("bank_id", bank_id)
    if f.fact_types is not None:
        params["fact_types"] = list(check_fact_types("fact_types", f.fact_types))
    if f.tags is not None:
        params["tags"] = check_tags("tags", f.tags)
    if f.since is not None:
        params["since"] = check_optional_datetime("since", f.since)
    if f.until is not None:
        params["until"] = check_optional_datetime("until", f.until)
    if f.document_id is not None:
        params["document_id"] = check_id("document_id", f.document_id)
    if f.text_contains is not None:
        fragment = check_text("text_contains", f.text_contains, max_length=ID_LENGTH)
        params["text_pattern"] = like_pattern(fragment)
    flags: dict[str, Any] = {
        "fact_types": f.fact_types is not None,
        "tags": f.tags is not None,
        "since": f.since is not None,
        "until": f.until is not None,
        "document_id": f.document_id is not None,
        "text": f.text_contains is not None,
    }
    if where.rows_only() != NO_FILTER:
        flags["where"] = where.rows_only()
    return params, flags


class MemoryListing(Repository):
    @overload
    async def list(
        self,
        bank_id: str,
        filters: MemoryFilter | None = None,
        *,
        limit: int = 100,
        after: Row | tuple[datetime, uuid.UUID] | None = None,
        with_total: Literal[False] = False,
    ) -> list[Row]: ...

    @overload
    async def list(
        self,
        bank_id: str,
        filters: MemoryFilter | None = None,
        *,
        limit: int = 100,
        after: Row | tuple[datetime, uuid.UUID] | None = None,
        with_total: Literal[True],
    ) -> Page: ...

    async def list(
        self,
        bank_id: str,
        filters: MemoryFilter | None = None,
        *,
        limit: int = 100,
        after: Row | tuple[datetime, uuid.UUID] | None = None,
        with_total: bool = False,
    ) -> list[Row] | Page:
        """Units newest first (never invalidated ones). Pass the last row of a page as
        `after` for the next page; `with_total=True` returns a `Page` that also counts
        every match (one more statement, in the same transaction)."""
        f = MemoryFilter() if filters is None else check_model("filters", filters, MemoryFilter)
        params, flags = filter_params(bank_id, f)
        params["limit"] = check_limit("limit", limit)
        if after is not None:
            created, unit_id = check_keyset("after", after, "created_at")
            params["after_created_at"], params["after_id"] = created, unit_id
        stmt = LIST.shape(after=after is not None, **flags)
        if not with_total:
            return await self.db.fetch(stmt, params)
        async with self.db.transaction():
            rows = await self.db.fetch(stmt, params)
            total = await self.db.fetchval(COUNT_MATCHING.shape(**flags), params)
        return Page(rows, int(total))
