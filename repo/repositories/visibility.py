"""What reads of units return: the columns (no embedding) and which units, through one
where-clause shared by `memories.list` and every recall arm, so an invalidated
(archived) unit is never returned by either."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from schema.tables import memory_units

#: Every column of a unit but the embedding: what reads return unless asked for vectors.
UNIT_COLUMNS = [c for c in memory_units.c if c.name != "embedding"]


def visible(columns: Any = memory_units.c) -> sa.ColumnElement[bool]:
    """Units not invalidated; `columns` is the table's or an alias's/CTE's column set."""
    return columns.invalidated_at.is_(None)  # type: ignore[no-any-return]
