"""The temporal arm: units whose time overlaps a window, ranked by closeness to the
window's middle or by similarity to the query embedding, then one hop of spreading over
temporal and causal links (both directions) from those units. One statement.

Both parts apply the recall filter and keep the bank: the window's hits (`t_entry`, a CTE)
and the units they reach (`t_spread`), which are never hits themselves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from repo.errors import ValidationError
from repo.models import TemporalQuery
from repo.repositories.recall.arms import BANK, EXAMPLES, arm_label, fact_type_in, fallback_only
from repo.repositories.recall.arms import _arms as arms_union
from repo.repositories.visibility import UNIT_COLUMNS, visible
from repo.sql import StatementFamily
from repo.sql.constructs import exact_cosine_distance
from repo.sql.epoch import epoch_seconds
from repo.sql.filters import NO_FILTER, FilterShape, filter_clauses, similarity_floor
from repo.sql.time_range import OccurredOverlaps, occurred_last
from repo.validation.batches import check_model
from repo.validation.scalars import check_count, check_datetime, check_limit
from schema.tables import FACT_TYPES, memory_links, memory_units

_u = memory_units.c
#: The unit times the arm can match, in their canonical order.
TEMPORAL_FIELDS = ("event_date", "occurred", "mentioned_at")
RANKS = ("closeness", "similarity")
#: The link types spreading follows.
SPREAD_LINK_TYPES = ("temporal", "causal")
#: Stands for "no such time" in the closeness distance (LEAST over present times only).
_FAR = sa.literal_column("1e18", sa.Float())


@dataclass(frozen=True, slots=True)
class TemporalShape:
    """Which temporal statement: the times matched, the ranking, a similarity floor,
    whether the arm spreads over links, and the fact types of its units (None: all)."""

    on: tuple[str, ...] = TEMPORAL_FIELDS
    rank: str = "closeness"
    floor: bool = False
    spread: bool = True
    fact_types: tuple[str, ...] | None = None

    def __str__(self) -> str:
        parts = ["+".join(self.on), self.rank]
        if self.floor:
            parts.append("floor")
        if self.spread:
            parts.append("spread")
        if self.fact_types is not None:
            parts.append("types:" + "+".join(self.fact_types))
        return ",".join(parts)

    def of_types(self, fact_types: tuple[str, ...]) -> TemporalShape:
        """This shape restricted to `fact_types` (all of them: no restriction)."""
        return replace(self, fact_types=None if set(fact_types) == set(FACT_TYPES) else fact_types)


def _ts(name: str) -> sa.BindParameter[Any]:
    return sa.bindparam(name, type_=_u.event_date.type)


def _overlaps(cols: Any, name: str) -> sa.ColumnElement[bool]:
    """The unit's `name` time overlaps `[t_start, t_end)` (the filter's window semantics),
    each an index condition: `(bank_id, fact_type, event_date)`, `(bank_id, mentioned_at)`
    and, on PostgreSQL, the occurred range's GiST index (repo/sql/time_range.py)."""
    start, end = _ts("t_start"), _ts("t_end")
    if name == "occurred":
        return OccurredOverlaps(cols, start, end)
    return sa.and_(cols[name] >= start, cols[name] < end)


def _distance(cols: Any, name: str) -> sa.ColumnElement[float]:
    """Seconds from the window's middle to the unit's `name` time (0 inside a range);
    NULL when the unit has no such time."""
    mid = sa.bindparam("t_mid", type_=sa.Float())
    if name == "occurred":
        first = epoch_seconds(cols.occurred_start)
        last = epoch_seconds(occurred_last(cols))
        zero = sa.literal_column("0", sa.Float())
        # PostgreSQL's GREATEST skips NULLs, Oracle's returns NULL: guard it explicitly.
        return sa.case(
            (cols.occurred_start.isnot(None), sa.func.greatest(first - mid, mid - last, zero)),
        )
    return sa.func.abs(epoch_seconds(cols[name]) - mid)


def _closeness(cols: Any, on: tuple[str, ...]) -> sa.ColumnElement[float]:
    """1 - distance / half the window: 1 at the middle, 0 at the edges (the nearest of the
    unit's times counts)."""
    distances = [_distance(cols, name) for name in on]
    nearest = (
        distances[0]
        if len(distances) == 1
        else sa.func.least(*(sa.func.coalesce(d, _FAR) for d in distances))
    )
    return sa.literal_column("1.0", sa.Float()) - nearest / sa.bindparam("t_half", type_=sa.Float())


def _of_types(fact_types: tuple[str, ...] | None) -> sa.ColumnElement[bool]:
    """`fact_type IN (...)`, literal, even for every type: the fact type leads the event
    date's index `(bank_id, fact_type, event_date)`, so the `event_date` branch is one
    index range per fact type on any PostgreSQL (16 and 17 have no B-tree skip scan)."""
    return _u.fact_type.in_([sa.literal_column(f"'{ft}'") for ft in fact_types or FACT_TYPES])


def _entry(shape: TemporalShape, where: FilterShape) -> sa.CTE:
    """The units in the window, best first, at most `t_k`; ranked by similarity, only
    those reaching the arm's floor (`t_min_similarity`) and the filter's
    (`f_min_similarity`), both before the LIMIT."""
    if shape.rank == "closeness":
        score = _closeness(_u, shape.on)
    else:
        score = sa.literal_column("1.0", sa.Float()) - exact_cosine_distance(
            _u.embedding, "embedding"
        )
    labeled = score.label("score")
    stmt = (
        sa.select(_u.id, labeled)
        .where(_u.bank_id == BANK, visible(), sa.or_(*(_overlaps(_u, f) for f in shape.on)))
        .where(_of_types(shape.fact_types), *filter_clauses(where, _u))
    )
    if shape.floor:
        stmt = stmt.where(score >= sa.bindparam("t_min_similarity", type_=sa.Float()))
    if where.min_similarity and shape.rank == "similarity":
        stmt = stmt.where(score >= similarity_floor())
    return stmt.order_by(labeled.desc(), _u.id).limit(sa.bindparam("t_k")).cte("t_entry")


def _spread(entry: sa.CTE, where: FilterShape, fact_types: tuple[str, ...] | None) -> sa.Subquery:
    """Units one temporal or causal link (either direction) from the hits, not hits
    themselves, passing the filter and of `fact_types`; score: the hit's score times the
    link's weight (the best such product), at most `t_spread`."""
    ml = memory_links.c
    followed = sa.or_(*(ml.link_type == sa.literal_column(f"'{t}'") for t in SPREAD_LINK_TYPES))
    hop_score = (entry.c.score * ml.weight).label("score")
    forward = (
        sa.select(ml.to_unit_id.label("unit_id"), hop_score)
        .join_from(entry, memory_links, sa.and_(ml.bank_id == BANK, ml.from_unit_id == entry.c.id))
        .where(followed)
    )
    backward = (
        sa.select(ml.from_unit_id.label("unit_id"), hop_score)
        .join_from(entry, memory_links, sa.and_(ml.bank_id == BANK, ml.to_unit_id == entry.c.id))
        .where(followed)
    )
    hops = sa.union_all(forward, backward).subquery("t_hops")
    reached = memory_units.alias("t_reached")
    best = sa.func.max(hops.c.score)
    return (
        sa.select(hops.c.unit_id, best.label("score"))
        .join_from(
            hops, reached, sa.and_(reached.c.bank_id == BANK, reached.c.id == hops.c.unit_id)
        )
        .where(visible(reached.c), *fact_type_in(fact_types, reached.c))
        .where(*filter_clauses(where.rows_only(), reached.c))
        .where(hops.c.unit_id.not_in(sa.select(entry.c.id)))
        .group_by(hops.c.unit_id)
        .order_by(best.desc(), hops.c.unit_id)
        .limit(sa.bindparam("t_spread"))
        .subquery("t_spread")
    )


def temporal_arm(
    shape: TemporalShape, where: FilterShape = NO_FILTER
) -> sa.Select[Any] | sa.CompoundSelect[Any]:
    """The hits (arm `temporal`) and, with `spread`, the units they reach (arm
    `temporal:spread`); unordered (callers order or fuse)."""
    entry = _entry(shape, where)
    hits = (
        sa.select(*UNIT_COLUMNS, arm_label("temporal"), entry.c.score.label("score"))
        .join_from(memory_units, entry, entry.c.id == _u.id)
        .where(_u.bank_id == BANK)
    )
    if not shape.spread:
        return hits
    spread = _spread(entry, where, shape.fact_types)
    reached = (
        sa.select(*UNIT_COLUMNS, arm_label("temporal:spread"), spread.c.score.label("score"))
        .join_from(memory_units, spread, spread.c.unit_id == _u.id)
        .where(_u.bank_id == BANK)
    )
    return sa.union_all(hits, reached)


def _ordered(
    shape: TemporalShape, where: FilterShape = NO_FILTER
) -> sa.CompoundSelect[Any] | sa.Select[Any]:
    """The arm alone: hits first, then spread units, each best first."""
    stmt = temporal_arm(shape, where)
    if isinstance(stmt, sa.Select):
        return stmt.order_by(stmt.selected_columns.score.desc(), _u.id)
    by = sa.literal_column  # the output columns' names (a UNION's ORDER BY takes no others)
    return stmt.order_by(by("arm"), by("score").desc(), by("id"))


#: Shapes compiled into golden files.
EXAMPLE_TEMPORAL = (
    TemporalShape(),
    TemporalShape(on=("event_date",), spread=False),
    TemporalShape(on=("occurred",), rank="similarity", floor=True),
    TemporalShape(on=("mentioned_at",), rank="similarity"),
)
TEMPORAL = StatementFamily(
    "recall.temporal",
    _ordered,
    [{"shape": s} for s in EXAMPLE_TEMPORAL]
    + [{"shape": TemporalShape(), **ex} for ex in EXAMPLES[:4]]
    + [
        {"shape": TemporalShape(fact_types=("world",))},
        {"shape": EXAMPLE_TEMPORAL[2], "where": FilterShape(min_similarity=True)},
    ],
)


def bind_temporal(
    field: str, query: object, *, has_embedding: bool
) -> tuple[TemporalShape, dict[str, Any]]:
    """Check a `TemporalQuery` (every check before any SQL) and return its shape and bind
    values (`t_*`). A window that ends before it starts matches nothing (it is bound as
    the empty window `[start, start)`)."""
    q = check_model(field, query, TemporalQuery)
    start = check_datetime(f"{field}.start", q.start)
    end = check_datetime(f"{field}.end", q.end)
    if isinstance(q.on, str) or not isinstance(q.on, tuple | list) or not q.on:
        raise ValidationError(f"{field}.on", f"expected a non-empty list of {TEMPORAL_FIELDS}")
    for name in q.on:
        if name not in TEMPORAL_FIELDS:
            raise ValidationError(
                f"{field}.on", f"unknown time {name!r:.40}; expected {TEMPORAL_FIELDS}"
            )
    on = tuple(f for f in TEMPORAL_FIELDS if f in q.on)
    if q.rank not in RANKS:
        raise ValidationError(f"{field}.rank", f"expected one of {RANKS}")
    if q.rank == "similarity" and not has_embedding:
        raise ValidationError(f"{field}.rank", "ranking by similarity needs an embedding")
    params: dict[str, Any] = {
        "t_start": start,
        "t_end": max(start, end),
        "t_k": check_limit(f"{field}.k", q.k),
    }
    spread = check_count(f"{field}.spread", q.spread, maximum=10_000)
    if spread:
        params["t_spread"] = spread
    floor = q.min_similarity is not None
    if floor:
        if q.rank != "similarity":
            raise ValidationError(f"{field}.min_similarity", "applies to rank='similarity' only")
        value = q.min_similarity
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (math.isfinite(value) and -1 <= value <= 1)
        ):
            raise ValidationError(f"{field}.min_similarity", "must be a number between -1 and 1")
        params["t_min_similarity"] = float(value)
    if q.rank == "closeness":
        width = (end - start) / 2 if end > start else timedelta(0)
        params["t_mid"] = (start + width).timestamp()
        params["t_half"] = max(width.total_seconds(), 1e-6)
    return TemporalShape(on=on, rank=q.rank, floor=floor, spread=bool(spread)), params


def _arms_with_temporal(
    fact_types: tuple[str, ...],
    text: bool,
    temporal: TemporalShape,
    where: FilterShape = NO_FILTER,
    accuracy: int | None = None,
    fallback: bool = False,
) -> sa.CompoundSelect[Any]:
    """The combined recall's first statement with the temporal arm: the semantic arms
    (with `fallback`, each with its exact search), the text arm and the temporal arm
    (hits and spread) as one UNION ALL."""
    base = arms_union(fact_types, text, where, accuracy, fallback)
    temporal = temporal.of_types(fact_types)
    part = sa.select(
        temporal_arm(temporal, where.for_temporal(temporal.rank == "similarity")).subquery("tm")
    )
    return sa.union_all(*base.selects, part)


_ARMS_TEMPORAL_SHAPES = [
    {"fact_types": FACT_TYPES, "text": True, "temporal": s} for s in EXAMPLE_TEMPORAL[:2]
] + [{"fact_types": ("world",), "text": False, "temporal": TemporalShape(), **EXAMPLES[0]}]
ARMS_TEMPORAL = StatementFamily(
    "recall.arms_temporal",
    _arms_with_temporal,
    _ARMS_TEMPORAL_SHAPES + [{**shape, "fallback": True} for shape in _ARMS_TEMPORAL_SHAPES],
    only=fallback_only,
)


def by_score(row: Any) -> tuple[bool, float, str]:
    """Sort key of the temporal arm's rows: hits first, then spread units, best first."""
    return (row["arm"] != "temporal", -float(row["score"]), str(row["id"]))
