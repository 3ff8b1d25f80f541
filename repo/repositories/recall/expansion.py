"""Graph expansion one hop from the seeds (links, shared entities), and the entities
of a set of units."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from repo.repositories.recall.arms import BANK, EXAMPLES, arm_label
from repo.repositories.visibility import UNIT_COLUMNS, visible
from repo.sql import Statement, StatementFamily, in_uuids
from repo.sql.filters import (
    NO_FILTER,
    FilterShape,
    filter_clauses,
)
from schema.tables import entities, memory_links, memory_units, unit_entities

_u = memory_units.c


def _expand(where: FilterShape = NO_FILTER) -> sa.CompoundSelect[Any]:
    """Units one hop from the seeds: over links (by weight) and over shared entities.

    The filter applies to the reached units before each side keeps its best k.
    """
    ml = memory_links.c
    reached = memory_units.alias("reached")
    conditions = filter_clauses(where, reached.c)

    def _filtered(stmt: sa.Select[Any], unit_id: sa.ColumnElement[Any]) -> sa.Select[Any]:
        if not conditions:
            return stmt
        return stmt.join(reached, reached.c.id == unit_id).where(
            reached.c.bank_id == BANK, *conditions
        )

    linked = (
        _filtered(
            sa.select(
                ml.to_unit_id.label("unit_id"), sa.func.max(ml.weight).label("score")
            ).select_from(memory_links),
            ml.to_unit_id,
        )
        .where(ml.bank_id == BANK, in_uuids(ml.from_unit_id, "seeds"))
        .group_by(ml.to_unit_id)
        .order_by(sa.func.max(ml.weight).desc(), ml.to_unit_id)
        .limit(sa.bindparam("k"))
        .subquery("linked")
    )
    seed_mentions = unit_entities.alias("seed_mentions")
    other_mentions = unit_entities.alias("other_mentions")
    shared = (
        _filtered(
            sa.select(
                other_mentions.c.unit_id.label("unit_id"),
                sa.func.count().label("score"),
            ).select_from(
                seed_mentions.join(
                    other_mentions,
                    sa.and_(
                        other_mentions.c.bank_id == seed_mentions.c.bank_id,
                        other_mentions.c.entity_id == seed_mentions.c.entity_id,
                    ),
                )
            ),
            other_mentions.c.unit_id,
        )
        .where(
            seed_mentions.c.bank_id == BANK,
            in_uuids(seed_mentions.c.unit_id, "seeds"),
            sa.not_(in_uuids(other_mentions.c.unit_id, "seeds")),
        )
        .group_by(other_mentions.c.unit_id)
        .order_by(sa.func.count().desc(), other_mentions.c.unit_id)
        .limit(sa.bindparam("k"))
        .subquery("shared")
    )
    by_link = (
        sa.select(*UNIT_COLUMNS, arm_label("graph:link"), linked.c.score.label("score"))
        .join_from(memory_units, linked, linked.c.unit_id == _u.id)
        .where(_u.bank_id == BANK, visible())
    )
    by_entity = (
        sa.select(
            *UNIT_COLUMNS,
            arm_label("graph:entity"),
            sa.cast(shared.c.score, sa.Float).label("score"),
        )
        .join_from(memory_units, shared, shared.c.unit_id == _u.id)
        .where(_u.bank_id == BANK, visible())
    )
    return sa.union_all(by_link, by_entity)


EXPAND = Statement("recall.expand", _expand())
EXPAND_WHERE = StatementFamily("recall.expand_where", _expand, EXAMPLES[:4])
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
