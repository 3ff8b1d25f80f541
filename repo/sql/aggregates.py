"""Dialect-divergent pieces of aggregate reads: one row per element of a tag list, and a
timestamp truncated to its UTC day or ISO week."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import TableValuedAlias

from schema.types import ID_LENGTH

#: Bucket sizes of `time_bucket`: PostgreSQL `date_trunc` field, Oracle `TRUNC` format.
BUCKETS = {"day": ("day", "DD"), "week": ("week", "IW")}


class TagElements(FunctionElement[Any]):
    """The elements of a tag-list column as rows with one column, `tag`."""

    name = "tag_elements"
    inherit_cache = True


@compiles(TagElements, "postgresql")
def _tags_pg(element: TagElements, compiler: SQLCompiler, **kw: Any) -> str:
    # A function in FROM is lateral already; the subquery names the column `tag`.
    col = compiler.process(next(iter(element.clauses)), **kw)
    return f"LATERAL (SELECT unnest({col}) AS tag)"


@compiles(TagElements, "oracle")
def _tags_oracle(element: TagElements, compiler: SQLCompiler, **kw: Any) -> str:
    col = compiler.process(next(iter(element.clauses)), **kw)
    return f"JSON_TABLE({col}, '$[*]' COLUMNS (tag VARCHAR2({ID_LENGTH} CHAR) PATH '$'))"


def tag_elements(column: ColumnElement[Any], alias: str) -> TableValuedAlias:
    """FROM item with one row per tag of `column` (`unnest` / `JSON_TABLE`), as `alias.tag`."""
    return TagElements(column).table_valued(sa.column("tag", sa.String()), name=alias)


class TimeBucket(ColumnElement[Any]):
    """A timestamp truncated to the start of its UTC day or ISO week (Monday), as a
    timestamp with time zone on both dialects."""

    inherit_cache = True

    def __init__(self, column: ColumnElement[Any], size: str) -> None:
        if size not in BUCKETS:
            raise ValueError(f"unknown bucket size {size!r}")
        self.column = column
        self.size = size
        self.type = column.type


@compiles(TimeBucket, "postgresql")
def _bucket_pg(element: TimeBucket, compiler: SQLCompiler, **kw: Any) -> str:
    col = compiler.process(element.column, **kw)
    return f"date_trunc('{BUCKETS[element.size][0]}', {col}, 'UTC')"


@compiles(TimeBucket, "oracle")
def _bucket_oracle(element: TimeBucket, compiler: SQLCompiler, **kw: Any) -> str:
    col = compiler.process(element.column, **kw)
    fmt = BUCKETS[element.size][1]
    return f"FROM_TZ(CAST(TRUNC({col} AT TIME ZONE 'UTC', '{fmt}') AS TIMESTAMP), 'UTC')"


def time_bucket(column: ColumnElement[Any], size: str) -> TimeBucket:
    return TimeBucket(column, size)
