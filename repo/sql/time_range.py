"""A unit's occurred range against a time window, written so an index can serve it.

A unit's range is `[occurred_start, last]`, closed, with `last` =
`GREATEST(occurred_start, COALESCE(occurred_end, occurred_start))`: an open end is the
start, and so is an end before the start. A unit without `occurred_start` has no range.
The window is half-open, `[start, end)`; either bound may be absent (unbounded); an
empty window (`end <= start`) overlaps nothing.

PostgreSQL: `occurred_start IS NOT NULL AND tstzrange(occurred_start, last, '[]') &&
tstzrange(:start, :end, '[)')`, the expression of the partial GiST index
`ix_memory_units_occurred` (schema/tables.py, revision 0013), so the overlap is one
index condition. Oracle: the same overlap as comparisons (`last >= :start AND
occurred_start < :end AND :start < :end`), served by the B-tree on `(bank_id,
occurred_start, occurred_end)`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement


def occurred_last(cols: Any) -> ColumnElement[Any]:
    """The last instant of the unit's occurred range (NULL without `occurred_start`)."""
    start = cols.occurred_start
    return sa.func.greatest(start, sa.func.coalesce(cols.occurred_end, start))


class OccurredOverlaps(ColumnElement[bool]):
    """The unit's occurred range overlaps the window `[start, end)` (None: unbounded)."""

    inherit_cache = True
    type = sa.Boolean()

    def __init__(
        self, cols: Any, start: BindParameter[Any] | None, end: BindParameter[Any] | None
    ) -> None:
        self.first = cols.occurred_start
        self.last = occurred_last(cols)
        self.start = start
        self.end = end


def _bound(value: BindParameter[Any] | None) -> ColumnElement[Any]:
    return sa.null() if value is None else value


@compiles(OccurredOverlaps, "postgresql")
def _overlaps_pg(element: OccurredOverlaps, compiler: SQLCompiler, **kw: Any) -> str:
    first = compiler.process(element.first, **kw)
    unit = sa.func.tstzrange(element.first, element.last, sa.literal_column("'[]'"))
    window = sa.func.tstzrange(
        _bound(element.start), _bound(element.end), sa.literal_column("'[)'")
    )
    return (
        f"({first} IS NOT NULL AND {compiler.process(unit, **kw)} "
        f"&& {compiler.process(window, **kw)})"
    )


@compiles(OccurredOverlaps, "oracle")
def _overlaps_oracle(element: OccurredOverlaps, compiler: SQLCompiler, **kw: Any) -> str:
    parts: list[ColumnElement[bool]] = [element.first.isnot(None)]
    if element.start is not None:
        parts.append(element.last >= element.start)
    if element.end is not None:
        parts.append(element.first < element.end)
    if element.start is not None and element.end is not None:
        parts.append(element.start < element.end)
    return f"({compiler.process(sa.and_(*parts), **kw)})"
