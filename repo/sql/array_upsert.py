"""A set-based upsert: many rows in one statement, bound as one array per column.

PostgreSQL: `INSERT ... SELECT FROM unnest($a::t[], ...) WITH ORDINALITY ORDER BY
ordinality ON CONFLICT ... DO UPDATE`, so rows are inserted (and their keys locked) in
the order the caller sorted them. Oracle: a MERGE whose source is one JSON_TABLE per
bound array, joined on the element's position. Oracle does not promise the order in
which a MERGE visits its source rows, so writers that rely on a canonical lock order run
the one-row `upsert` per row there instead (`Capabilities.ordered_array_upsert`).
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

_ORACLE_ELEMENT = {"uuid": ("VARCHAR2(32)", "HEXTORAW({})"), "int": ("NUMBER", "{}")}


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


@compiles(ArrayUpsert, "oracle")
def _array_upsert_oracle(element: ArrayUpsert, compiler: SQLCompiler, **kw: Any) -> str:
    quote = compiler.preparer.quote
    table = compiler.preparer.format_table(element.table)
    picked = [
        f"{compiler.process(element.scalar_param(c), **kw)} AS {quote(c)}" for c in element.scalars
    ]
    sources = []
    for i, (column, kind) in enumerate(element.arrays.items()):
        sql_type, value = _ORACLE_ELEMENT[kind]
        alias = f"a{i}"
        picked.append(f"{value.format(f'{alias}.v')} AS {quote(column)}")
        source = (
            f"JSON_TABLE({compiler.process(element.array_param(column), **kw)}, '$[*]' "
            f"COLUMNS (i FOR ORDINALITY, v {sql_type} PATH '$')) {alias}"
        )
        sources.append(source if i == 0 else f"JOIN {source} ON {alias}.i = a0.i")
    on = " AND ".join(f"{table}.{quote(c)} = s.{quote(c)}" for c in element.key)
    sets = ", ".join(
        f"{table}.{quote(c)} = {compiler.process(expr, **kw)}" for c, expr in element.update.items()
    )
    cols = ", ".join(quote(c) for c in element.columns)
    vals = ", ".join(f"s.{quote(c)}" for c in element.columns)
    return (
        f"MERGE INTO {table} USING (SELECT {', '.join(picked)} FROM {' '.join(sources)}) s "
        f"ON ({on}) WHEN MATCHED THEN UPDATE SET {sets} "
        f"WHEN NOT MATCHED THEN INSERT ({cols}) VALUES ({vals})"
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
