"""The semantic arms (index path and exact search), the text arm, and their union for the
combined recall; each with the recall filter in its WHERE (the temporal arm: `temporal`).

A semantic arm with `fallback` (PostgreSQL, `Capabilities.inline_exact_fallback`) carries
its exact search in the same statement, run only when the index path ran short.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from repo.repositories.visibility import UNIT_COLUMNS, visible
from repo.sql import Statement, StatementFamily, cosine_distance, text_match
from repo.sql.constructs import approx_limit, exact_cosine_distance
from repo.sql.filters import (
    EXAMPLE_SHAPES,
    NO_FILTER,
    FilterShape,
    filter_clauses,
    similarity_floor,
    text_score_floor,
)
from schema.tables import FACT_TYPES, memory_units

_u = memory_units.c
BANK = sa.bindparam("bank_id", type_=_u.bank_id.type)


def arm_label(name: str) -> sa.ColumnElement[str]:
    return sa.literal_column(f"'{name}'", sa.String()).label("arm")


def with_where(flags: dict[str, Any], where: FilterShape) -> dict[str, Any]:
    """Shape flags with the filter only when one is present (unfiltered names stay short)."""
    return {**flags, "where": where} if where != NO_FILTER else flags


def _floored(stmt: sa.Select[Any], floor: sa.BindParameter[Any] | None) -> sa.Select[Any]:
    """Keep the rows of a ranked top-k whose score reaches `floor`, best first.

    The floor applies after the ranking's LIMIT: the rows of a top-k that reach a floor
    are the top-k of the rows that reach it, and the vector index still stops at k.
    """
    if floor is None:
        return stmt
    ranked = stmt.subquery("ranked")
    return sa.select(ranked).where(ranked.c.score >= floor).order_by(ranked.c.score.desc())


def with_accuracy(flags: dict[str, Any], accuracy: int | None) -> dict[str, Any]:
    """Shape flags with Oracle's target accuracy only when one is asked for."""
    return {**flags, "accuracy": accuracy} if accuracy is not None else flags


def _semantic(
    fact_type: str,
    k_param: str = "k",
    where: FilterShape = NO_FILTER,
    accuracy: int | None = None,
) -> sa.Select[Any]:
    """Nearest units of one fact type; the fact type is literal so each arm plans alone
    (onto its own partial HNSW index on PostgreSQL)."""
    distance = cosine_distance(_u.embedding, "embedding")
    stmt = (
        sa.select(
            *UNIT_COLUMNS,
            arm_label(f"semantic:{fact_type}"),
            (sa.literal_column("1.0") - distance).label("score"),
        )
        .where(_u.bank_id == BANK, _u.fact_type == sa.literal_column(f"'{fact_type}'"), visible())
        .where(*filter_clauses(where, _u))
        .order_by(distance)
    )
    floor = similarity_floor() if where.min_similarity else None
    return _floored(approx_limit(stmt, k_param, accuracy), floor)


def fact_type_in(
    fact_types: tuple[str, ...] | None, cols: Any = _u
) -> list[sa.ColumnElement[bool]]:
    """`fact_type IN (...)` over the unit columns `cols`, with literal values (one plan per
    subset); none for all types."""
    if fact_types is None or set(fact_types) == set(FACT_TYPES):
        return []
    return [cols.fact_type.in_([sa.literal_column(f"'{ft}'") for ft in fact_types])]


def _fulltext(
    k_param: str = "k", where: FilterShape = NO_FILTER, fact_types: tuple[str, ...] | None = None
) -> sa.Select[Any]:
    """The best full-text matches over text and context, of `fact_types` (None: all); the
    query's mode (all terms / any term) is in the bound query, not in the SQL."""
    match, score = text_match(_u.text, _u.context, "query")
    stmt = (
        sa.select(*UNIT_COLUMNS, arm_label("text"), score.label("score"))
        .where(_u.bank_id == BANK, match, visible(), *fact_type_in(fact_types))
        .where(*filter_clauses(where, _u))
        .order_by(score.desc(), _u.id)
        .limit(sa.bindparam(k_param))
    )
    return _floored(stmt, text_score_floor() if where.min_text_score else None)


def _semantic_exact(
    fact_type: str, where: FilterShape = NO_FILTER, k_param: str = "k"
) -> sa.Select[Any]:
    """The exact nearest units of one fact type: filter first, then sort every match.

    Used when the index path returned fewer than k rows (a selective filter can exhaust
    an HNSW scan, even an iterative one, before k matches are found). The filtered scan
    keeps only each match's id and distance (a distance no vector index can order by, so
    the scan is exact); the unit columns are read for the k nearest alone.
    """
    distance = exact_cosine_distance(_u.embedding, "embedding")
    nearest = (
        sa.select(_u.id, distance.label("distance"))
        .where(_u.bank_id == BANK, _u.fact_type == sa.literal_column(f"'{fact_type}'"), visible())
        .where(*filter_clauses(where, _u))
        .order_by(distance)
        .limit(sa.bindparam(k_param))
        .subquery("nearest")
    )
    stmt = (
        sa.select(
            *UNIT_COLUMNS,
            arm_label(f"semantic:{fact_type}"),
            (sa.literal_column("1.0") - nearest.c.distance).label("score"),
        )
        .join_from(memory_units, nearest, nearest.c.id == _u.id)
        .where(_u.bank_id == BANK)
        .order_by(nearest.c.distance)
    )
    return _floored(stmt, similarity_floor() if where.min_similarity else None)


def _with_fallback(
    fact_type: str,
    k_param: str = "k",
    where: FilterShape = NO_FILTER,
    accuracy: int | None = None,
) -> list[sa.Select[Any]]:
    """One semantic arm as two UNION ALL branches that return k rows whenever k units
    match: the index path's top-k (the CTE `s_<fact type>`) when it holds k rows, else the
    exact search (`e_<fact type>`).

    Each branch's condition is an uncorrelated scalar subquery over the CTE: PostgreSQL
    runs it once, as an InitPlan under the branch's one-time filter, and never starts the
    branch whose condition is false (EXPLAIN ANALYZE shows it "never executed"). The CTE
    is referenced more than once, so it is materialised: k rows, planned on its own, its
    ORDER BY distance LIMIT k still served by the fact type's HNSW index.
    """
    index_path = _semantic(fact_type, k_param, where, accuracy).cte(f"s_{fact_type}")
    exact = _semantic_exact(fact_type, where, k_param).subquery(f"e_{fact_type}")
    k: sa.BindParameter[int] = sa.bindparam(k_param)

    def found() -> sa.ScalarSelect[Any]:
        return sa.select(sa.func.count()).select_from(index_path).scalar_subquery()

    return [sa.select(index_path).where(found() >= k), sa.select(exact).where(found() < k)]


def _semantic_shape(
    fact_type: str,
    where: FilterShape = NO_FILTER,
    accuracy: int | None = None,
    fallback: bool = False,
) -> sa.Select[Any] | sa.CompoundSelect[Any]:
    """`recall.semantic`: the index path alone, or with `fallback` its exact search in the
    same statement (nearest first either way)."""
    if not fallback:
        return _semantic(fact_type, "k", where, accuracy)
    union = sa.union_all(*_with_fallback(fact_type, "k", where, accuracy))
    return union.order_by(sa.literal_column("score").desc())


def fallback_only(fallback: bool = False, **_: Any) -> str | None:
    """The dialect a shape is for: a fallback shape is PostgreSQL's (on Oracle, whether
    the false branch is skipped is unverified: it keeps the follow-up exact search)."""
    return "postgresql" if fallback else None


def with_fallback(flags: dict[str, Any], inline: bool) -> dict[str, Any]:
    """Shape flags with `fallback` only when the backend runs it inline."""
    return {**flags, "fallback": True} if inline else flags


_PER_FACT_TYPE = [{"fact_type": ft} for ft in FACT_TYPES]
EXAMPLES = [{"where": shape} for shape in EXAMPLE_SHAPES]
_SEMANTIC_SHAPES = _PER_FACT_TYPE + [{"fact_type": "world", **ex} for ex in EXAMPLES]
SEMANTIC = StatementFamily(
    "recall.semantic",
    _semantic_shape,
    _SEMANTIC_SHAPES
    + [{"fact_type": "world", "accuracy": 90}]
    + [{**shape, "fallback": True} for shape in _SEMANTIC_SHAPES],
    only=fallback_only,
)
SEMANTIC_EXACT = StatementFamily(
    "recall.semantic_exact",
    lambda fact_type, where=NO_FILTER: _semantic_exact(fact_type, where),
    _SEMANTIC_SHAPES,
)
FULLTEXT = Statement("recall.fulltext", _fulltext())
FULLTEXT_WHERE = StatementFamily(
    "recall.fulltext_where",
    lambda where=NO_FILTER, fact_types=None: _fulltext(where=where, fact_types=fact_types),
    [*EXAMPLES, {"fact_types": ("world",)}, {"fact_types": ("world", "experience"), **EXAMPLES[0]}],
)


def pick(plain: Statement, family: StatementFamily, where: FilterShape) -> Statement:
    """The unfiltered statement, or the family's shape for a present filter."""
    return plain if where == NO_FILTER else family.shape(where=where)


def _arms(
    fact_types: tuple[str, ...],
    text: bool,
    where: FilterShape = NO_FILTER,
    accuracy: int | None = None,
    fallback: bool = False,
) -> sa.CompoundSelect[Any]:
    """Every semantic arm (one per fact type; with `fallback`, each with its exact search)
    and the text arm (over the same fact types) as one UNION ALL."""
    semantic, textual = where.for_semantic(), where.for_text()
    parts: list[sa.Select[Any]] = []
    for ft in fact_types:
        if fallback:
            parts.extend(_with_fallback(ft, "k_semantic", semantic, accuracy))
        else:
            index_path = _semantic(ft, "k_semantic", semantic, accuracy)
            parts.append(sa.select(index_path.subquery(f"s_{ft}")))
    if text:
        parts.append(sa.select(_fulltext("k_text", textual, fact_types).subquery("t")))
    return sa.union_all(*parts)


_FACT_TYPE_SUBSETS = [
    tuple(ft for i, ft in enumerate(FACT_TYPES) if mask >> i & 1)
    for mask in range(1, 2 ** len(FACT_TYPES))
]
_ARMS_SHAPES = [
    {"fact_types": fts, "text": t} for fts in _FACT_TYPE_SUBSETS for t in (False, True)
] + [{"fact_types": FACT_TYPES, "text": True, **ex} for ex in EXAMPLES]
ARMS = StatementFamily(
    "recall.arms",
    _arms,
    _ARMS_SHAPES
    + [{"fact_types": FACT_TYPES, "text": True, "accuracy": 90}]
    + [{**shape, "fallback": True} for shape in _ARMS_SHAPES],
    only=fallback_only,
)
