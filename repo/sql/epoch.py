"""A timestamp as seconds since the Unix epoch (UTC), for arithmetic on times.

PostgreSQL: `EXTRACT(EPOCH FROM col)` (microseconds kept). Oracle: the UTC timestamp as a
DATE minus `DATE '1970-01-01'` (days, a NUMBER) times 86,400: whole seconds (the DATE
drops the fractional seconds), exact for every timestamp a unit can hold.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement


class EpochSeconds(ColumnElement[float]):
    """Seconds since 1970-01-01 00:00 UTC of a `TIMESTAMP WITH TIME ZONE` expression."""

    inherit_cache = True
    type = sa.Float()

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column


@compiles(EpochSeconds, "postgresql")
def _epoch_pg(element: EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.column, **kw)}) AS FLOAT)"


@compiles(EpochSeconds, "oracle")
def _epoch_oracle(element: EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    col = compiler.process(element.column, **kw)
    return f"((CAST(SYS_EXTRACT_UTC({col}) AS DATE) - DATE '1970-01-01') * 86400)"


def epoch_seconds(column: ColumnElement[Any]) -> EpochSeconds:
    """`column` (a timestamp with time zone) as seconds since the Unix epoch, a float."""
    return EpochSeconds(column)
