"""The graph arm, one hop from the seeds: over links in both directions (weighted per link
type), over shared entities (each entity contributing at most its best-ranked `fanout`
units), and to the observations whose sources include a seed; and the entities of a set
of units.

Every part applies the recall filter (and the recall's fact types) to the units it
reaches, before it keeps its best k.
Where observation sources live is a capability (`uses_observation_sources_table`): the
`source_memory_ids` array (PostgreSQL) or the `observation_sources` table (Oracle).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from repo.errors import ValidationError
from repo.models import GraphQuery
from repo.repositories.recall.arms import BANK, EXAMPLES, arm_label, fact_type_in
from repo.repositories.visibility import UNIT_COLUMNS, visible
from repo.sql import Statement, StatementFamily, in_uuids
from repo.sql.filters import NO_FILTER, FilterShape, filter_clauses
from repo.validation.batches import check_model
from repo.validation.scalars import check_limit
from schema.tables import (
    FACT_TYPES,
    LINK_TYPES,
    entities,
    memory_links,
    memory_units,
    observation_sources,
    unit_entities,
)

_u = memory_units.c
_ml = memory_links.c
#: Largest link-type weight accepted.
MAX_LINK_WEIGHT = 1e6
#: The fact types a graph statement keeps (None: all).
FactTypes = tuple[str, ...] | None


def _passes(cols: Any, where: FilterShape, fact_types: FactTypes) -> list[sa.ColumnElement[bool]]:
    """A reached unit is visible, of `fact_types` and passes `where`."""
    return [visible(cols), *fact_type_in(fact_types, cols), *filter_clauses(where, cols)]


def _reached(
    stmt: sa.Select[Any],
    unit_id: sa.ColumnElement[Any],
    where: FilterShape,
    name: str,
    fact_types: FactTypes,
) -> sa.Select[Any]:
    """`stmt` joined to the reached unit (`name`), kept when it `_passes`."""
    reached = memory_units.alias(name)
    return stmt.join(reached, sa.and_(reached.c.bank_id == BANK, reached.c.id == unit_id)).where(
        *_passes(reached.c, where, fact_types)
    )


def _type_weight() -> sa.ColumnElement[float]:
    """The query's weight for the link's type (`w_<type>`, bound)."""
    return sa.case(
        *(
            (_ml.link_type == sa.literal_column(f"'{t}'"), sa.bindparam(f"w_{t}", type_=sa.Float()))
            for t in LINK_TYPES
        ),
        else_=sa.literal_column("0", sa.Float()),
    )


def _linked(where: FilterShape, fact_types: FactTypes) -> sa.Subquery:
    """Units one link from a seed, either direction; score: the best link weight times
    its type's weight (a type weighted 0 is not followed)."""
    weighted = (_ml.weight * _type_weight()).label("score")
    followed = _type_weight() > sa.literal_column("0", sa.Float())
    forward = sa.select(_ml.to_unit_id.label("unit_id"), weighted).where(
        _ml.bank_id == BANK, in_uuids(_ml.from_unit_id, "seeds"), followed
    )
    backward = sa.select(_ml.from_unit_id.label("unit_id"), weighted).where(
        _ml.bank_id == BANK, in_uuids(_ml.to_unit_id, "seeds"), followed
    )
    hops = sa.union_all(forward, backward).subquery("hops")
    best = sa.func.max(hops.c.score)
    return (
        _reached(
            sa.select(hops.c.unit_id, best.label("score")),
            hops.c.unit_id,
            where,
            "g_link",
            fact_types,
        )
        .group_by(hops.c.unit_id)
        .order_by(best.desc(), hops.c.unit_id)
        .limit(sa.bindparam("k"))
        .subquery("linked")
    )


def _shared(where: FilterShape, fact_types: FactTypes) -> sa.Subquery:
    """Units (not seeds) sharing entities with the seeds; score: how many of the seeds'
    entities they mention. Each entity contributes at most `fanout` units, its best-ranked
    by (score, newest, id): a hub entity mentioned by thousands of units adds `fanout`."""
    seed_mentions = unit_entities.alias("seed_mentions")
    seed_entities = (
        sa.select(seed_mentions.c.entity_id)
        .where(seed_mentions.c.bank_id == BANK, in_uuids(seed_mentions.c.unit_id, "seeds"))
        .distinct()
        .subquery("seed_entities")
    )
    m = unit_entities.alias("other_mentions")
    reached = memory_units.alias("g_entity")
    mentions = (
        sa.select(
            m.c.unit_id,
            m.c.entity_id,
            reached.c.created_at,
            sa.func.count().over(partition_by=m.c.unit_id).label("shared"),
        )
        .join_from(m, seed_entities, seed_entities.c.entity_id == m.c.entity_id)
        .join(reached, sa.and_(reached.c.bank_id == BANK, reached.c.id == m.c.unit_id))
        .where(m.c.bank_id == BANK, sa.not_(in_uuids(m.c.unit_id, "seeds")))
        .where(*_passes(reached.c, where, fact_types))
        .subquery("mentions")
    )
    ranked = sa.select(
        mentions.c.unit_id,
        mentions.c.shared,
        mentions.c.created_at,
        sa.func.row_number()
        .over(
            partition_by=mentions.c.entity_id,
            order_by=(mentions.c.shared.desc(), mentions.c.created_at.desc(), mentions.c.unit_id),
        )
        .label("place"),
    ).subquery("ranked")
    score, newest = sa.func.max(ranked.c.shared), sa.func.max(ranked.c.created_at)
    return (
        sa.select(ranked.c.unit_id, score.label("score"))
        .where(ranked.c.place <= sa.bindparam("fanout"))
        .group_by(ranked.c.unit_id)
        .order_by(score.desc(), newest.desc(), ranked.c.unit_id)
        .limit(sa.bindparam("k"))
        .subquery("shared")
    )


def _seeds_array() -> sa.BindParameter[Any]:
    return sa.bindparam("seeds", type_=postgresql.ARRAY(sa.Uuid()))


def _cited(where: FilterShape, sources_table: bool, fact_types: FactTypes) -> sa.Subquery:
    """Observations citing seeds among their sources; score: how many seeds they cite."""
    if sources_table:
        s = observation_sources.c
        count = sa.func.count()
        stmt = _reached(
            sa.select(s.observation_id.label("unit_id"), count.label("score")).where(
                s.bank_id == BANK, in_uuids(s.source_id, "seeds")
            ),
            s.observation_id,
            where,
            "g_obs",
            fact_types,
        ).group_by(s.observation_id)
        order: tuple[Any, ...] = (count.desc(), s.observation_id)
    else:
        obs = memory_units.alias("g_obs")
        src = sa.func.unnest(obs.c.source_memory_ids).table_valued("v").render_derived(name="src")
        cited = (
            sa.select(sa.func.count()).select_from(src).where(in_uuids(src.c.v, "seeds"))
        ).scalar_subquery()
        score = cited.label("score")
        stmt = sa.select(obs.c.id.label("unit_id"), score).where(
            obs.c.bank_id == BANK,
            obs.c.source_memory_ids.op("&&")(_seeds_array()),
            *_passes(obs.c, where, fact_types),
        )
        order = (score.desc(), obs.c.id)
    return stmt.order_by(*order).limit(sa.bindparam("k")).subquery("cited")


def _rows(part: sa.Subquery, arm: str) -> sa.Select[Any]:
    return (
        sa.select(*UNIT_COLUMNS, arm_label(arm), sa.cast(part.c.score, sa.Float).label("score"))
        .join_from(memory_units, part, part.c.unit_id == _u.id)
        .where(_u.bank_id == BANK, visible())
    )


def _expand(
    sources_table: bool = False,
    observations: bool = True,
    where: FilterShape = NO_FILTER,
    fact_types: FactTypes = None,
) -> sa.CompoundSelect[Any]:
    """The graph arm: `graph:link`, `graph:entity` and (with `observations`)
    `graph:observation` rows of `fact_types` (None: all), each part at most k."""
    parts = [
        _rows(_linked(where, fact_types), "graph:link"),
        _rows(_shared(where, fact_types), "graph:entity"),
    ]
    if observations:
        parts.append(_rows(_cited(where, sources_table, fact_types), "graph:observation"))
    return sa.union_all(*parts)


def _expand_only(
    sources_table: bool = False,
    observations: bool = True,
    where: FilterShape = NO_FILTER,
    fact_types: FactTypes = None,
) -> str | None:
    return "postgresql" if observations and not sources_table else None


EXPAND = StatementFamily(
    "recall.expand",
    _expand,
    [
        {"sources_table": table, "observations": obs}
        for table in (False, True)
        for obs in (False, True)
    ]
    + [
        {"sources_table": table, "observations": True, **ex}
        for table in (False, True)
        for ex in EXAMPLES[:4]
    ]
    + [
        {"sources_table": table, "observations": True, "fact_types": ("world", "observation")}
        for table in (False, True)
    ],
    only=_expand_only,
)


def expand_statement(
    sources_table: bool,
    observations: bool,
    where: FilterShape,
    fact_types: tuple[str, ...] = FACT_TYPES,
) -> Statement:
    """The graph arm's statement for a capability, the observation part, a filter and the
    fact types kept (all: no restriction in the SQL)."""
    flags: dict[str, Any] = {"sources_table": sources_table, "observations": observations}
    if where != NO_FILTER:
        flags["where"] = where
    if set(fact_types) != set(FACT_TYPES):
        flags["fact_types"] = tuple(ft for ft in FACT_TYPES if ft in fact_types)
    return EXPAND.shape(**flags)


def bind_graph(field: str, query: object) -> tuple[bool, dict[str, Any]]:
    """Check a `GraphQuery` (None: the defaults) before any SQL; return whether the
    observation part runs and the bind values (`w_<link type>`, `fanout`)."""
    q = GraphQuery() if query is None else check_model(field, query, GraphQuery)
    weights = _link_weights(f"{field}.link_weights", q.link_weights)
    params: dict[str, Any] = {f"w_{t}": weights.get(t, 1.0) for t in LINK_TYPES}
    params["fanout"] = check_limit(f"{field}.entity_fanout", q.entity_fanout)
    if not isinstance(q.observations, bool):
        raise ValidationError(f"{field}.observations", "expected a bool")
    return q.observations, params


def _link_weights(field: str, weights: object) -> dict[str, float]:
    if weights is None:
        return {}
    if not isinstance(weights, Mapping):
        raise ValidationError(field, "expected a mapping of link types to weights")
    out: dict[str, float] = {}
    for name, weight in weights.items():
        if name not in LINK_TYPES:
            raise ValidationError(field, f"unknown link type {name!r:.40}; expected {LINK_TYPES}")
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise ValidationError(f"{field}[{name!r}]", "expected a number")
        if not (math.isfinite(weight) and 0 <= weight <= MAX_LINK_WEIGHT):
            raise ValidationError(f"{field}[{name!r}]", f"must be between 0 and {MAX_LINK_WEIGHT}")
        out[name] = float(weight)
    return out


UNIT_ENTITIES = Statement(
    "recall.unit_entities",
    sa.select(
        unit_entities.c.unit_id,
        entities.c.id.label("entity_id"),
        entities.c.name,
        entities.c.entity_type,
    )
    .join_from(
        unit_entities,
        entities,
        sa.and_(
            entities.c.bank_id == unit_entities.c.bank_id,
            entities.c.id == unit_entities.c.entity_id,
        ),
    )
    .where(unit_entities.c.bank_id == BANK, in_uuids(unit_entities.c.unit_id, "ids")),
)
