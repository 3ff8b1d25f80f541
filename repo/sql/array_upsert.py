"""A set-based upsert: many rows in one statement, bound as one array per column.

PostgreSQL: `INSERT ... SELECT FROM unnest($a::t[], ...) WITH ORDINALITY ORDER BY
ordinality ON CONFLICT ... DO UPDATE`, so rows are inserted (and their keys locked) in
the order the caller sorted them. PostgreSQL only: Oracle does not promise the order in
which a MERGE visits its source rows, so there writers that rely on a canonical lock order
run the one-row `upsert` per row instead (`Capabilities.ordered_array_upsert`), and a
statement built on this construct is declared `only="postgresql"`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.expression import ClauseElement, Executable


class ArrayUpsert(Executable, ClauseElement):
    """Upsert the rows zipped from `arrays` (column -> element kind, "uuid" or "int"),
    each row also carrying the scalar `scalars` columns; on a key conflict apply `update`
    (expressions over the table and `incoming(...)` columns). Bind names are the column
    names."""

    inherit_cache = False

    def __init__(
        self,
        table: sa.Table,
        scalars: Sequence[str],
        arrays: Mapping[str, str],
        key: Sequence[str],
        update: Mapping[str, ColumnElement[Any]],
    ) -> None:
        self.table = table
        self.scalars = tuple(scalars)
        self.arrays = dict(arrays)
        self.key = tuple(key)
        self.update = dict(update)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.scalars + tuple(self.arrays)

    def scalar_param(self, name: str) -> BindParameter[Any]:
        return sa.bindparam(name, type_=self.table.c[name].type)

    def array_param(self, name: str) -> BindParameter[Any]:
        element = sa.Uuid() if self.arrays[name] == "uuid" else sa.Integer()
        return sa.bindparam(name, type_=postgresql.ARRAY(element))


@compiles(ArrayUpsert, "postgresql")
def _array_upsert_pg(element: ArrayUpsert, compiler: SQLCompiler, **kw: Any) -> str:
    quote = compiler.preparer.quote
    table = compiler.preparer.format_table(element.table)
    arrays = ", ".join(compiler.process(element.array_param(c), **kw) for c in element.arrays)
    names = ", ".join(quote(c) for c in element.arrays)
    picked = [compiler.process(element.scalar_param(c), **kw) for c in element.scalars]
    picked += [f"s.{quote(c)}" for c in element.arrays]
    sets = ", ".join(
        f"{quote(c)} = {compiler.process(expr, **kw)}" for c, expr in element.update.items()
    )
    return (
        f"INSERT INTO {table} ({', '.join(quote(c) for c in element.columns)}) "
        f"SELECT {', '.join(picked)} FROM unnest({arrays}) WITH ORDINALITY "
        f"AS s({names}, ordinality) ORDER BY s.ordinality "
        f"ON CONFLICT ({', '.join(quote(c) for c in element.key)}) DO UPDATE SET {sets}"
    )


def array_upsert(
    table: sa.Table,
    scalars: Sequence[str],
    arrays: Mapping[str, str],
    key: Sequence[str],
    update: Mapping[str, ColumnElement[Any]],
) -> ArrayUpsert:
    """Upsert many rows in one statement: `scalars` bound once, `arrays` (column ->
    "uuid" | "int") bound as one list per column, zipped in list order."""
    return ArrayUpsert(table, scalars, arrays, key, update)
