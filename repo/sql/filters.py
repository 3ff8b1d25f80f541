"""The recall filter as SQL: one set of constructs and one renderer for both dialects.

A `FilterShape` says which filter parts are present (never their values); the renderer
turns a shape into WHERE clauses over a unit table (or alias), with every value a bind
parameter named `f_*`. Each distinct shape is one statement shape, compiled on first use.

PostgreSQL: `text[]` operators (`&&`, `@>`, `<@`), `cardinality`, JSONB `@>`.
Oracle: the tags are a JSON array, read with `JSON_TABLE` / `JSON_EXISTS`; metadata
containment is `JSON_EQUAL(JSON_MERGEPATCH(metadata, :f), metadata)` (merging the filter's
pairs into the unit's metadata changes nothing exactly when it already holds them), one SQL
text whatever the keys.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from repo.sql.constructs import in_texts
from repo.sql.time_range import OccurredOverlaps
from schema.types import json_type

TAG_MODES = ("any", "all", "exact")
UNTAGGED_CHOICES = ("include", "exclude")
TIME_FIELDS = ("event_date", "occurred", "mentioned_at", "created_at", "updated_at")

# --------------------------------------------------------------------------- constructs


class TagSet(ColumnElement[bool]):
    """A text-list column against a bound list: `overlap`, `contains` or `within`."""

    inherit_cache = True
    type = sa.Boolean()

    def __init__(
        self, column: ColumnElement[Any], values: BindParameter[Any], relation: str
    ) -> None:
        self.column = column
        self.values = values
        self.relation = relation


_PG_TAG_OPS = {"overlap": "&&", "contains": "@>", "within": "<@"}


@compiles(TagSet, "postgresql")
def _tagset_pg(element: TagSet, compiler: SQLCompiler, **kw: Any) -> str:
    col = compiler.process(element.column, **kw)
    return f"({col} {_PG_TAG_OPS[element.relation]} {compiler.process(element.values, **kw)})"


_JT = "COLUMNS (v VARCHAR2(4000) PATH '$')"


@compiles(TagSet, "oracle")
def _tagset_oracle(element: TagSet, compiler: SQLCompiler, **kw: Any) -> str:
    col = compiler.process(element.column, **kw)
    values = compiler.process(element.values, **kw)
    unit_tags = f"JSON_TABLE({col}, '$[*]' {_JT})"
    given = f"JSON_TABLE({values}, '$[*]' {_JT})"
    if element.relation == "overlap":
        return f"EXISTS (SELECT 1 FROM {unit_tags} a JOIN {given} b ON a.v = b.v)"
    if element.relation == "contains":  # no given tag is missing from the unit
        return (
            f"NOT EXISTS (SELECT 1 FROM {given} b WHERE NOT EXISTS "
            f"(SELECT 1 FROM {unit_tags} a WHERE a.v = b.v))"
        )
    # within: no unit tag is outside the given ones
    return (
        f"NOT EXISTS (SELECT 1 FROM {unit_tags} a WHERE NOT EXISTS "
        f"(SELECT 1 FROM {given} b WHERE b.v = a.v))"
    )


class Untagged(ColumnElement[bool]):
    """The text-list column is NULL or empty."""

    inherit_cache = True
    type = sa.Boolean()

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column


@compiles(Untagged, "postgresql")
def _untagged_pg(element: Untagged, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(COALESCE(cardinality({compiler.process(element.column, **kw)}), 0) = 0)"


@compiles(Untagged, "oracle")
def _untagged_oracle(element: Untagged, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(NOT JSON_EXISTS({compiler.process(element.column, **kw)}, '$[0]'))"


class JsonContains(ColumnElement[bool]):
    """The JSON object column holds every key/value pair of a bound object."""

    inherit_cache = True
    type = sa.Boolean()

    def __init__(self, column: ColumnElement[Any], value: BindParameter[Any]) -> None:
        self.column = column
        self.value = value


@compiles(JsonContains, "postgresql")
def _json_contains_pg(element: JsonContains, compiler: SQLCompiler, **kw: Any) -> str:
    col = compiler.process(element.column, **kw)
    return f"({col} @> {compiler.process(element.value, **kw)})"


@compiles(JsonContains, "oracle")
def _json_contains_oracle(element: JsonContains, compiler: SQLCompiler, **kw: Any) -> str:
    col = compiler.process(element.column, **kw)
    value = compiler.process(element.value, **kw)
    return f"JSON_EQUAL(JSON_MERGEPATCH({col}, {value}), {col})"


def _tags_bind(name: str) -> BindParameter[Any]:
    return sa.bindparam(name, type_=postgresql.ARRAY(sa.Text()))


# --------------------------------------------------------------------------- shapes


@dataclass(frozen=True, slots=True)
class FilterShape:
    """Which parts of a recall filter are present; hashable, one statement shape each.

    `tags_match` is None without a tag list; `groups` holds one `negate` flag per tag
    group; `windows` holds `(field, has_start, has_end)` per time window present.
    """

    tags_match: str | None = None
    exclude_tags: bool = False
    groups: tuple[bool, ...] = ()
    untagged: str = "include"
    windows: tuple[tuple[str, bool, bool], ...] = ()
    document_ids: bool = False
    metadata: bool = False
    min_similarity: bool = False
    min_text_score: bool = False

    @property
    def has_tag_condition(self) -> bool:
        return self.tags_match is not None or self.exclude_tags or bool(self.groups)

    def rows_only(self) -> FilterShape:
        """This shape without the score floors (for reads that have no score)."""
        return replace(self, min_similarity=False, min_text_score=False)

    def for_semantic(self) -> FilterShape:
        return replace(self, min_text_score=False)

    def for_text(self) -> FilterShape:
        return replace(self, min_similarity=False)

    def for_temporal(self, similarity: bool) -> FilterShape:
        """The temporal arm's shape: the similarity floor only when the arm ranks by
        similarity (a closeness score is no similarity), never the text score floor."""
        return replace(self, min_similarity=self.min_similarity and similarity,
                       min_text_score=False)  # fmt: skip

    def __str__(self) -> str:
        parts = []
        if self.tags_match:
            parts.append(f"tags:{self.tags_match}")
        if self.exclude_tags:
            parts.append("not-tags")
        if self.groups:
            parts.append("groups:" + "".join("N" if g else "Y" for g in self.groups))
        if self.untagged != "include":
            parts.append(f"untagged:{self.untagged}")
        for name, start, end in self.windows:
            parts.append(f"{name}:{'s' if start else ''}{'e' if end else ''}")
        if self.document_ids:
            parts.append("docs")
        if self.metadata:
            parts.append("meta")
        if self.min_similarity:
            parts.append("min-sim")
        if self.min_text_score:
            parts.append("min-text")
        return "+".join(parts) or "none"


NO_FILTER = FilterShape()

#: Shapes compiled into golden files (each part alone, and all parts together).
EXAMPLE_SHAPES = (
    FilterShape(tags_match="any"),
    FilterShape(tags_match="all", untagged="exclude"),
    FilterShape(tags_match="exact"),
    FilterShape(exclude_tags=True, groups=(False, True)),
    FilterShape(windows=(("event_date", True, True),)),
    FilterShape(windows=(("occurred", True, True),)),
    FilterShape(windows=(("occurred", True, False), ("mentioned_at", False, True))),
    FilterShape(
        tags_match="any",
        exclude_tags=True,
        groups=(False, True),
        untagged="exclude",
        windows=tuple((name, True, True) for name in TIME_FIELDS),
        document_ids=True,
        metadata=True,
        min_similarity=True,
        min_text_score=True,
    ),
)


def _window_clauses(
    cols: Any, name: str, has_start: bool, has_end: bool
) -> list[ColumnElement[bool]]:
    ts = cols.event_date.type
    start = sa.bindparam(f"f_{name}_start", type_=ts)
    end = sa.bindparam(f"f_{name}_end", type_=ts)
    if name == "occurred":  # the unit's range overlaps [start, end) (repo/sql/time_range.py)
        return [OccurredOverlaps(cols, start if has_start else None, end if has_end else None)]
    out: list[ColumnElement[bool]] = []
    column = cols[name]
    if has_start:
        out.append(column >= start)
    if has_end:
        out.append(column < end)
    return out


def filter_clauses(shape: FilterShape, cols: Any) -> list[ColumnElement[bool]]:
    """WHERE clauses for `shape` over the unit columns `cols` (a table's or alias's `.c`).

    Score floors are not row conditions: the arms apply them to their scores.
    """
    clauses: list[ColumnElement[bool]] = []
    tags = cols.tags
    tag_conditions: list[ColumnElement[bool]] = []
    if shape.tags_match == "any":
        tag_conditions.append(TagSet(tags, _tags_bind("f_tags"), "overlap"))
    elif shape.tags_match == "all":
        tag_conditions.append(TagSet(tags, _tags_bind("f_tags"), "contains"))
    elif shape.tags_match == "exact":
        tag_conditions.append(TagSet(tags, _tags_bind("f_tags"), "contains"))
        tag_conditions.append(TagSet(tags, _tags_bind("f_tags"), "within"))
    if shape.exclude_tags:
        tag_conditions.append(sa.not_(TagSet(tags, _tags_bind("f_exclude_tags"), "overlap")))
    for i, negate in enumerate(shape.groups):
        group = TagSet(tags, _tags_bind(f"f_group_{i}"), "overlap")
        tag_conditions.append(sa.not_(group) if negate else group)
    if tag_conditions:
        # The conditions are only evaluated for tagged units: untagged ones are decided
        # by the explicit `untagged` choice alone.
        if shape.untagged == "include":
            clauses.append(sa.or_(Untagged(tags), sa.and_(*tag_conditions)))
        else:
            clauses.append(sa.and_(sa.not_(Untagged(tags)), *tag_conditions))
    elif shape.untagged == "exclude":
        clauses.append(sa.not_(Untagged(tags)))
    for name, has_start, has_end in shape.windows:
        clauses.extend(_window_clauses(cols, name, has_start, has_end))
    if shape.document_ids:
        clauses.append(in_texts(cols.document_id, "f_document_ids"))
    if shape.metadata:
        clauses.append(JsonContains(cols.metadata, sa.bindparam("f_metadata", type_=json_type())))
    return clauses


def similarity_floor() -> BindParameter[Any]:
    return sa.bindparam("f_min_similarity", type_=sa.Float())


def text_score_floor() -> BindParameter[Any]:
    return sa.bindparam("f_min_text_score", type_=sa.Float())
