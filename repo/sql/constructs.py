"""SQL constructs whose text differs by dialect, each written once with `@compiles`.

Repositories build Core statements from these and never branch on the dialect.
PostgreSQL forms use pgvector, tsvector and arrays; Oracle forms use VECTOR_DISTANCE,
Oracle Text and JSON_TABLE (see ORACLE_NOTES in the design docs).
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

from schema.tables import SEARCH_VECTOR

# --------------------------------------------------------------------------- vectors


class CosineDistance(ColumnElement[float]):
    """Cosine distance between a vector column and a bound query vector."""

    inherit_cache = True
    type = sa.Float()

    def __init__(self, column: ColumnElement[Any], query: BindParameter[Any]) -> None:
        self.column = column
        self.query = query


#: The schema pgvector is installed in. It is not on a store's search path (only the
#: tenant schema is, so no table can resolve elsewhere): its operator is qualified, and
#: the query vector's type follows from the operator. The backend checks it at connect.
PGVECTOR_SCHEMA = "public"


@compiles(CosineDistance, "postgresql")
def _cosine_pg(element: CosineDistance, compiler: SQLCompiler, **kw: Any) -> str:
    col, query = compiler.process(element.column, **kw), compiler.process(element.query, **kw)
    return f"({col} OPERATOR({PGVECTOR_SCHEMA}.<=>) {query})"


@compiles(CosineDistance, "oracle")
def _cosine_oracle(element: CosineDistance, compiler: SQLCompiler, **kw: Any) -> str:
    col = compiler.process(element.column, **kw)
    return f"VECTOR_DISTANCE({col}, {compiler.process(element.query, **kw)}, COSINE)"


def cosine_distance(column: ColumnElement[Any], param: str) -> CosineDistance:
    """`column <=> :param` on PostgreSQL, `VECTOR_DISTANCE(column, :param, COSINE)` on Oracle."""
    return CosineDistance(column, sa.bindparam(param, type_=column.type))


class ExactCosineDistance(CosineDistance):
    """The same cosine distance, written so that no vector index can serve an ORDER BY on
    it: an exact scan of the filtered rows (which PostgreSQL may run in parallel)."""

    inherit_cache = True


@compiles(ExactCosineDistance, "postgresql")
def _exact_cosine_pg(element: ExactCosineDistance, compiler: SQLCompiler, **kw: Any) -> str:
    # pgvector's `<=>` operator is this function; an HNSW index orders by the operator only.
    col, query = compiler.process(element.column, **kw), compiler.process(element.query, **kw)
    return f"{PGVECTOR_SCHEMA}.cosine_distance({col}, {query})"


def exact_cosine_distance(column: ColumnElement[Any], param: str) -> ExactCosineDistance:
    """`public.cosine_distance(column, :param)` on PostgreSQL (the function behind `<=>`,
    which no index orders by), `VECTOR_DISTANCE(column, :param, COSINE)` on Oracle (exact
    unless a query asks for FETCH APPROX)."""
    return ExactCosineDistance(column, sa.bindparam(param, type_=column.type))


def approx_limit(stmt: sa.Select[Any], param: str, accuracy: int | None = None) -> sa.Select[Any]:
    """Top-k by a vector index: `LIMIT :param` on PostgreSQL (unchanged), and
    `FETCH APPROX FIRST :param ROWS ONLY` on Oracle, which lets the optimizer use the
    vector index (it falls back to an exact search when it cannot).

    Uses SQLAlchemy's own `oracle_fetch_approximate` option: `fetch(None, ...)` records the
    option without a FETCH clause, then `limit()` binds `k`; the Oracle compiler renders
    the limit as FETCH FIRST and rewrites it to FETCH APPROX FIRST. The limit stays a bind
    parameter, so one compilation serves every k.

    `accuracy` (Oracle): `... ROWS ONLY WITH TARGET ACCURACY n`, the 23ai row-limiting
    clause's accuracy for this search (a literal percentage, as Oracle's examples write it:
    one shape per value); PostgreSQL's SQL is unchanged (its knobs are settings).
    """
    stmt = stmt.fetch(None, oracle_fetch_approximate=True).limit(sa.bindparam(param))
    if accuracy is None:
        return stmt
    if isinstance(accuracy, bool) or not isinstance(accuracy, int) or not 1 <= accuracy <= 100:
        raise ValueError(f"target accuracy must be an int from 1 to 100, not {accuracy!r}")
    return stmt.suffix_with(f"WITH TARGET ACCURACY {accuracy}", dialect="oracle")


# --------------------------------------------------------------------------- full text


class _TextSearch(ColumnElement[Any]):
    """Full-text search over a unit's text and context for a user query (already made
    safe by the backend's `fulltext_query()`)."""

    inherit_cache = True

    def __init__(
        self, text: ColumnElement[Any], context: ColumnElement[Any], query: BindParameter[Any]
    ) -> None:
        self.text = text
        self.context = context
        self.query = query


class TextMatch(_TextSearch):
    """The full-text predicate."""

    inherit_cache = True
    type = sa.Boolean()


class TextScore(_TextSearch):
    """The relevance score of the `TextMatch` over the same columns and query."""

    inherit_cache = True
    type = sa.Float()


def _pg_vector_and_query(element: _TextSearch, compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    # The stored vector (revision 0008) and the schema's own query function, both in the
    # store's text-search configuration; the function is inlined by the planner.
    table = compiler.preparer.format_table(element.text.table)  # type: ignore[attr-defined]
    query = compiler.process(element.query, **kw)
    return f"{table}.{SEARCH_VECTOR}", f"text_search_query({query})"


@compiles(TextMatch, "postgresql")
def _match_pg(element: TextMatch, compiler: SQLCompiler, **kw: Any) -> str:
    vector, query = _pg_vector_and_query(element, compiler, **kw)
    return f"{vector} @@ {query}"


@compiles(TextScore, "postgresql")
def _score_pg(element: TextScore, compiler: SQLCompiler, **kw: Any) -> str:
    vector, query = _pg_vector_and_query(element, compiler, **kw)
    return f"ts_rank_cd({vector}, {query})"


@compiles(TextMatch, "oracle")
def _match_oracle(element: TextMatch, compiler: SQLCompiler, **kw: Any) -> str:
    # One Oracle Text index per column (revision 0008); labels 1 and 2 name their scores.
    text, context = compiler.process(element.text, **kw), compiler.process(element.context, **kw)
    query = compiler.process(element.query, **kw)
    return f"(CONTAINS({text}, {query}, 1) > 0 OR CONTAINS({context}, {query}, 2) > 0)"


@compiles(TextScore, "oracle")
def _score_oracle(element: TextScore, compiler: SQLCompiler, **kw: Any) -> str:
    # SCORE(n) is a NUMBER; in a UNION ALL with BINARY_DOUBLE columns (vector distances) it
    # is promoted to BINARY_DOUBLE. Cast it, so every path returns the same type (a float).
    # NVL: a label whose CONTAINS did not match is taken as 0, whatever SCORE reports.
    return "CAST(GREATEST(NVL(SCORE(1), 0), NVL(SCORE(2), 0)) AS BINARY_DOUBLE)"


def text_match(
    text: ColumnElement[Any], context: ColumnElement[Any], param: str
) -> tuple[TextMatch, TextScore]:
    """A full-text predicate and its score over a unit's `text` and `context` for the
    bound query `param` (PostgreSQL: the stored `search_vector`; Oracle: CONTAINS on
    either column). At most one per query block (Oracle's SCORE labels 1 and 2).

    The bound value must come from the backend's `fulltext_query()`, which turns any
    user text into a query the dialect accepts.
    """
    query = sa.bindparam(param, type_=sa.String())
    return TextMatch(text, context, query), TextScore(text, context, query)


# --------------------------------------------------------------------------- id lists


class InList(ColumnElement[bool]):
    """`column` is one of a bound list of values; one SQL text whatever the list length."""

    inherit_cache = True
    type = sa.Boolean()

    def __init__(self, column: ColumnElement[Any], values: BindParameter[Any], kind: str) -> None:
        self.column = column
        self.values = values
        self.kind = kind


@compiles(InList, "postgresql")
def _in_list_pg(element: InList, compiler: SQLCompiler, **kw: Any) -> str:
    col = compiler.process(element.column, **kw)
    return f"{col} = ANY({compiler.process(element.values, **kw)})"


_ORACLE_JSON_COLUMN = {"uuid": "VARCHAR2(32)", "text": "VARCHAR2(4000)"}


def _oracle_json_values(element: InList, compiler: SQLCompiler, **kw: Any) -> str:
    """`SELECT v FROM JSON_TABLE(:ids, '$[*]' COLUMNS (v ...))`; UUIDs travel as 32-hex."""
    values = compiler.process(element.values, **kw)
    value = "HEXTORAW(jt.v)" if element.kind == "uuid" else "jt.v"
    return (
        f"SELECT {value} FROM JSON_TABLE({values}, '$[*]' "
        f"COLUMNS (v {_ORACLE_JSON_COLUMN[element.kind]} PATH '$')) jt"
    )


@compiles(InList, "oracle")
def _in_list_oracle(element: InList, compiler: SQLCompiler, **kw: Any) -> str:
    col = compiler.process(element.column, **kw)
    return f"{col} IN ({_oracle_json_values(element, compiler, **kw)})"


def in_uuids(column: ColumnElement[Any], param: str) -> InList:
    """`column = ANY(:param::uuid[])` / `column IN (SELECT ... FROM JSON_TABLE(:param ...))`."""
    return InList(column, sa.bindparam(param, type_=postgresql.ARRAY(sa.Uuid())), "uuid")


def in_texts(column: ColumnElement[Any], param: str) -> InList:
    """Like `in_uuids` for short text values."""
    return InList(column, sa.bindparam(param, type_=postgresql.ARRAY(sa.String())), "text")


class TagsOverlap(ColumnElement[bool]):
    """A text-list column shares at least one element with a bound list."""

    inherit_cache = True
    type = sa.Boolean()

    def __init__(self, column: ColumnElement[Any], values: BindParameter[Any]) -> None:
        self.column = column
        self.values = values


@compiles(TagsOverlap, "postgresql")
def _overlap_pg(element: TagsOverlap, compiler: SQLCompiler, **kw: Any) -> str:
    col = compiler.process(element.column, **kw)
    return f"{col} && {compiler.process(element.values, **kw)}"


@compiles(TagsOverlap, "oracle")
def _overlap_oracle(element: TagsOverlap, compiler: SQLCompiler, **kw: Any) -> str:
    col = compiler.process(element.column, **kw)
    values = compiler.process(element.values, **kw)
    cols = "COLUMNS (v VARCHAR2(4000) PATH '$')"
    return (
        f"EXISTS (SELECT 1 FROM JSON_TABLE({col}, '$[*]' {cols}) a "
        f"JOIN JSON_TABLE({values}, '$[*]' {cols}) b ON a.v = b.v)"
    )


def tags_overlap(column: ColumnElement[Any], param: str) -> TagsOverlap:
    """`column && :param` on PostgreSQL; a JSON_TABLE semi-join on Oracle."""
    return TagsOverlap(column, sa.bindparam(param, type_=postgresql.ARRAY(sa.Text())))


# --------------------------------------------------------------------------- upsert


class Incoming(ColumnElement[Any]):
    """The value offered by an upsert for a column (`excluded.col` / `s.col`)."""

    inherit_cache = True

    def __init__(self, column: sa.Column[Any]) -> None:
        self.column = column
        self.type = column.type


@compiles(Incoming, "postgresql")
def _incoming_pg(element: Incoming, compiler: SQLCompiler, **kw: Any) -> str:
    return f"excluded.{compiler.preparer.quote(element.column.name)}"


@compiles(Incoming, "oracle")
def _incoming_oracle(element: Incoming, compiler: SQLCompiler, **kw: Any) -> str:
    return f"s.{compiler.preparer.quote(element.column.name)}"


def incoming(column: sa.Column[Any]) -> Incoming:
    """Refer to the offered value of `column` inside an upsert's update expressions."""
    return Incoming(column)


class Upsert(Executable, ClauseElement):
    """Insert a row, or on a key conflict update some columns (or do nothing).

    PostgreSQL: `INSERT ... ON CONFLICT (key) DO UPDATE SET ... | DO NOTHING`.
    Oracle: `MERGE INTO t USING (SELECT :a AS a ... FROM dual) s ON (key) ...`.
    Every value is a bind parameter named after its column.
    """

    inherit_cache = False
    # Read by SQLCompiler after the PostgreSQL form compiled an INSERT in its place.
    _inline = False
    _return_defaults = False

    def __init__(
        self,
        table: sa.Table,
        columns: Sequence[str],
        key: Sequence[str],
        update: Mapping[str, ColumnElement[Any]] | None,
    ) -> None:
        self.table = table
        self.columns = tuple(columns)
        self.key = tuple(key)
        self.update = dict(update) if update else None

    def bind_params(self) -> dict[str, BindParameter[Any]]:
        return {c: sa.bindparam(c, type_=self.table.c[c].type) for c in self.columns}


@compiles(Upsert, "postgresql")
def _upsert_pg(element: Upsert, compiler: SQLCompiler, **kw: Any) -> str:
    stmt = postgresql.insert(element.table).values(element.bind_params())
    if element.update is None:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(element.key))
    else:
        stmt = stmt.on_conflict_do_update(index_elements=list(element.key), set_=element.update)
    return compiler.process(stmt, **kw)


@compiles(Upsert, "oracle")
def _upsert_oracle(element: Upsert, compiler: SQLCompiler, **kw: Any) -> str:
    quote = compiler.preparer.quote
    table = compiler.preparer.format_table(element.table)
    params = element.bind_params()
    source = ", ".join(
        f"{compiler.process(params[c], **kw)} AS {quote(c)}" for c in element.columns
    )
    on = " AND ".join(f"{table}.{quote(c)} = s.{quote(c)}" for c in element.key)
    sql = f"MERGE INTO {table} USING (SELECT {source} FROM dual) s ON ({on})"
    if element.update:
        sets = ", ".join(
            f"{table}.{quote(c)} = {compiler.process(expr, **kw)}"
            for c, expr in element.update.items()
        )
        sql += f" WHEN MATCHED THEN UPDATE SET {sets}"
    cols = ", ".join(quote(c) for c in element.columns)
    vals = ", ".join(f"s.{quote(c)}" for c in element.columns)
    return sql + f" WHEN NOT MATCHED THEN INSERT ({cols}) VALUES ({vals})"


def upsert(
    table: sa.Table,
    columns: Sequence[str],
    key: Sequence[str],
    update: Mapping[str, ColumnElement[Any]] | None = None,
) -> Upsert:
    """An upsert of `columns` (all bound by name) keyed on `key`; `update=None` inserts
    only if absent."""
    return Upsert(table, columns, key, update)
