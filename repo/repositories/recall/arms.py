"""The semantic arms (index path and exact search), the text arm, and their union for the
combined recall; each with the recall filter in its WHERE (the temporal arm: `temporal`)."""

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


def _fact_type_in(fact_types: tuple[str, ...] | None) -> list[sa.ColumnElement[bool]]:
    """`fact_type IN (...)` with literal values (one plan per subset); none for all types."""
    if fact_types is None or set(fact_types) == set(FACT_TYPES):
        return []
    return [_u.fact_type.in_([sa.literal_column(f"'{ft}'") for ft in fact_types])]


def _fulltext(
    k_param: str = "k", where: FilterShape = NO_FILTER, fact_types: tuple[str, ...] | None = None
) -> sa.Select[Any]:
    """The best full-text matches over text and context, of `fact_types` (None: all); the
    query's mode (all terms / any term) is in the bound query, not in the SQL."""
    match, score = text_match(_u.text, _u.context, "query")
    stmt = (
        sa.select(*UNIT_COLUMNS, arm_label("text"), score.label("score"))
        .where(_u.bank_id == BANK, match, visible(), *_fact_type_in(fact_types))
        .where(*filter_clauses(where, _u))
        .order_by(score.desc(), _u.id)
        .limit(sa.bindparam(k_param))
    )
    return _floored(stmt, text_score_floor() if where.min_text_score else None)


def _semantic_exact(fact_type: str, where: FilterShape = NO_FILTER) -> sa.Select[Any]:
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
        .limit(sa.bindparam("k"))
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


_PER_FACT_TYPE = [{"fact_type": ft} for ft in FACT_TYPES]
EXAMPLES = [{"where": shape} for shape in EXAMPLE_SHAPES]
SEMANTIC = StatementFamily(
    "recall.semantic",
    _semantic,
    _PER_FACT_TYPE
    + [{"fact_type": "world", **ex} for ex in EXAMPLES]
    + [{"fact_type": "world", "accuracy": 90}],
)
SEMANTIC_EXACT = StatementFamily(
    "recall.semantic_exact",
    _semantic_exact,
    _PER_FACT_TYPE + [{"fact_type": "world", **ex} for ex in EXAMPLES],
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
) -> sa.CompoundSelect[Any]:
    """Every semantic arm (one per fact type) and the text arm (over the same fact types)
    as one UNION ALL."""
    semantic, textual = where.for_semantic(), where.for_text()
    parts = [
        sa.select(_semantic(ft, "k_semantic", semantic, accuracy).subquery(f"s_{ft}"))
        for ft in fact_types
    ]
    if text:
        parts.append(sa.select(_fulltext("k_text", textual, fact_types).subquery("t")))
    return sa.union_all(*parts)


_FACT_TYPE_SUBSETS = [
    tuple(ft for i, ft in enumerate(FACT_TYPES) if mask >> i & 1)
    for mask in range(1, 2 ** len(FACT_TYPES))
]
ARMS = StatementFamily(
    "recall.arms",
    _arms,
    [{"fact_types": fts, "text": t} for fts in _FACT_TYPE_SUBSETS for t in (False, True)]
    + [{"fact_types": FACT_TYPES, "text": True, **ex} for ex in EXAMPLES]
    + [{"fact_types": FACT_TYPES, "text": True, "accuracy": 90}],
)
