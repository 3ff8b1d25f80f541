"""Entity resolution and the entity graph: fuzzy lookup of many names in one round trip,
the entities most often mentioned together with one, and when each entity was seen."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from repo.errors import ValidationError
from repo.repositories.base import Repository
from repo.repositories.memories import canonical_entity_name
from repo.repositories.visibility import visible
from repo.rows import Row
from repo.sql import Statement, in_uuids
from repo.sql.fuzzy import name_distance, numbered_names
from repo.validation.batches import check_batch
from repo.validation.scalars import check_limit, check_uuid, check_uuids
from repo.validation.text import check_id, check_text
from schema.tables import entities, entity_cooccurrences, memory_units, unit_entities

_BANK = sa.bindparam("bank_id", type_=entities.c.bank_id.type)
#: Most names resolved in one call.
MAX_NAMES = 1000


def _resolve() -> sa.Select[Any]:
    """For each bound name (in order), the nearest entity of the bank by name, kept if its
    similarity reaches `min_similarity`. The nearest-neighbour subquery is lateral, so
    PostgreSQL answers it from the trigram GiST index."""
    q = numbered_names("names", "q")
    e = entities.alias("e")
    distance = name_distance(e.c.canonical_name, q.c.name)
    best = (
        sa.select(
            e.c.id,
            e.c.name,
            e.c.canonical_name,
            e.c.entity_type,
            e.c.mention_count,
            (sa.literal_column("1") - distance).label("similarity"),
        )
        .where(e.c.bank_id == _BANK)
        .order_by(distance, e.c.id)
        .limit(sa.literal_column("1"))
        .lateral("m")
    )
    return (
        sa.select(q.c.ord, *(c for c in best.c))
        .select_from(q, best)
        .where(best.c.similarity >= sa.bindparam("min_similarity", type_=sa.Float()))
        .order_by(q.c.ord)
    )


RESOLVE = Statement("entities.resolve", _resolve())

_ue, _u = unit_entities.c, memory_units.c
_seen_at = sa.func.coalesce(_u.event_date, _u.created_at)
SEEN = Statement(
    "entities.seen",
    sa.select(
        _ue.entity_id,
        sa.func.min(_seen_at).label("first_seen"),
        sa.func.max(_seen_at).label("last_seen"),
        sa.func.count().label("units"),
    )
    .join_from(
        unit_entities, memory_units, sa.and_(_u.bank_id == _ue.bank_id, _u.id == _ue.unit_id)
    )
    .where(_ue.bank_id == _BANK, in_uuids(_ue.entity_id, "ids"), visible())
    .group_by(_ue.entity_id),
)

_co = entity_cooccurrences.c
RELATED = Statement(
    "entities.related",
    sa.select(entities, _co.units.label("shared_units"))
    .join_from(
        entity_cooccurrences,
        entities,
        sa.and_(entities.c.bank_id == _co.bank_id, entities.c.id == _co.other_id),
    )
    .where(
        _co.bank_id == _BANK,
        _co.entity_id == sa.bindparam("entity_id", type_=_co.entity_id.type),
        _co.units > sa.literal_column("0"),
    )
    .order_by(_co.units.desc(), _co.other_id)
    .limit(sa.bindparam("k")),
)


class EntityGraph(Repository):
    async def resolve(
        self, bank_id: str, names: Sequence[str], *, min_similarity: float = 0.5
    ) -> list[Row | None]:
        """The best existing entity for each name, or None where none reaches
        `min_similarity` (0..1), in the order of `names`, in one round trip. Rows carry
        the entity's columns and `similarity` (trigram similarity on PostgreSQL,
        Jaro-Winkler on Oracle: see `repo.sql.fuzzy`)."""
        check_id("bank_id", bank_id)
        if isinstance(names, str):
            raise ValidationError("names", "expected a sequence of names, got a string")
        check_batch("names", names)
        if len(names) > MAX_NAMES:
            raise ValidationError("names", f"more than {MAX_NAMES} names")
        folded = [
            canonical_entity_name(check_text(f"names[{i}]", n, max_length=255))
            for i, n in enumerate(names)
        ]
        if not all(folded):
            raise ValidationError("names", "a name is only whitespace")
        if (
            isinstance(min_similarity, bool)
            or not isinstance(min_similarity, int | float)
            or not math.isfinite(min_similarity)
            or not 0.0 <= min_similarity <= 1.0
        ):
            raise ValidationError("min_similarity", "expected a number between 0 and 1")
        params = {"bank_id": bank_id, "names": folded, "min_similarity": float(min_similarity)}
        rows = await self.db.fetch(RESOLVE, params)
        out: list[Row | None] = [None] * len(names)
        for row in rows:
            out[int(row["ord"]) - 1] = row
        return out

    async def seen(
        self, bank_id: str, entity_ids: Sequence[uuid.UUID | str]
    ) -> dict[uuid.UUID, tuple[datetime, datetime]]:
        """When each entity was first and last seen: the earliest and latest event date
        (else creation time) of the valid units that mention it. Entities without such
        units are absent."""
        params = {
            "bank_id": check_id("bank_id", bank_id),
            "ids": check_uuids("entity_ids", entity_ids),
        }
        rows = await self.db.fetch(SEEN, params)
        return {r["entity_id"]: (r["first_seen"], r["last_seen"]) for r in rows}

    async def related(self, bank_id: str, entity_id: uuid.UUID | str, *, k: int = 10) -> list[Row]:
        """The k entities most often mentioned by the same units as `entity_id`, strongest
        first: entity columns and `shared_units`."""
        params = {
            "bank_id": check_id("bank_id", bank_id),
            "entity_id": check_uuid("entity_id", entity_id),
            "k": check_limit("k", k),
        }
        return await self.db.fetch(RELATED, params)
