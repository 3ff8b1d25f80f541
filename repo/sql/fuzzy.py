"""Fuzzy name matching, written once per dialect.

PostgreSQL: `pg_trgm` trigram distance `a <-> b` (= 1 - `similarity(a, b)`), which a
GiST `gist_trgm_ops` index answers as a nearest-neighbour scan. Oracle:
`UTL_MATCH.JARO_WINKLER_SIMILARITY` (0..100, always installed, no index: a scan of the
bank's entities per name); Oracle Text fuzzy matching would need a CONTEXT index on
entity names synchronised on commit, and scores words rather than whole names.
Similarities are in [0, 1] on both, but they are different measures: a threshold tuned
on one dialect is not the same threshold on the other.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import TableValuedAlias

from schema.types import ID_LENGTH

#: Where revision 0005 creates the pg_trgm extension (next to pgvector).
PG_TRGM_SCHEMA = "public"


class NameDistance(ColumnElement[float]):
    """0 for identical names up to 1 for names with nothing in common."""

    inherit_cache = True
    type = sa.Float()

    def __init__(self, left: ColumnElement[Any], right: ColumnElement[Any]) -> None:
        self.left = left
        self.right = right


@compiles(NameDistance, "postgresql")
def _distance_pg(element: NameDistance, compiler: SQLCompiler, **kw: Any) -> str:
    left, right = compiler.process(element.left, **kw), compiler.process(element.right, **kw)
    # Qualified: sessions resolve names in the tenant schema alone, pg_trgm lives in public.
    return f"({left} OPERATOR({PG_TRGM_SCHEMA}.<->) {right})"


@compiles(NameDistance, "oracle")
def _distance_oracle(element: NameDistance, compiler: SQLCompiler, **kw: Any) -> str:
    left, right = compiler.process(element.left, **kw), compiler.process(element.right, **kw)
    return f"(1 - UTL_MATCH.JARO_WINKLER_SIMILARITY({left}, {right}) / 100)"


def name_distance(left: ColumnElement[Any], right: ColumnElement[Any]) -> NameDistance:
    return NameDistance(left, right)


class NumberedNames(FunctionElement[Any]):
    """A bound list of names as rows (`name`, `ord` = 1-based position)."""

    name = "numbered_names"
    inherit_cache = True


@compiles(NumberedNames, "postgresql")
def _names_pg(element: NumberedNames, compiler: SQLCompiler, **kw: Any) -> str:
    names = compiler.process(next(iter(element.clauses)), **kw)
    return f"(SELECT n.name, n.ord FROM unnest({names}) WITH ORDINALITY AS n(name, ord))"


@compiles(NumberedNames, "oracle")
def _names_oracle(element: NumberedNames, compiler: SQLCompiler, **kw: Any) -> str:
    names = compiler.process(next(iter(element.clauses)), **kw)
    return (
        f"JSON_TABLE({names}, '$[*]' COLUMNS "
        f"(name VARCHAR2({ID_LENGTH} CHAR) PATH '$', ord FOR ORDINALITY))"
    )


def numbered_names(param: str, alias: str) -> TableValuedAlias:
    """FROM item with one row per element of the bound list `param`: `alias.name`, `.ord`."""
    values = sa.bindparam(param, type_=postgresql.ARRAY(sa.String()))
    return NumberedNames(values).table_valued(
        sa.column("name", sa.String()), sa.column("ord", sa.Integer()), name=alias
    )
