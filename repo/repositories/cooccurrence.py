"""Entity co-occurrence bookkeeping: which entities the same unit mentions, counted per
ordered pair (both directions are stored, so `related` is one index range).

Called inside the writing transaction: `add` (one set-based statement where the backend
keeps its row order) after a retain's mentions are written;
`pairs_of` before units are deleted (their mentions still readable), `uncount` after
their entities were unmentioned. Both write pairs sorted by (entity, other), after the
entities' rows, the same order for every writer.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable

import sqlalchemy as sa

from repo.backends.base import Backend
from repo.sql import Statement, array_upsert, in_uuids, incoming, upsert
from schema.tables import entity_cooccurrences, unit_entities

_c, _ue = entity_cooccurrences.c, unit_entities.c
_BANK = sa.bindparam("bank_id", type_=_c.bank_id.type)

INCREMENT = Statement(
    "entities.cooccurrences.increment",
    upsert(
        entity_cooccurrences,
        ["bank_id", "entity_id", "other_id", "units"],
        ["bank_id", "entity_id", "other_id"],
        {"units": _c.units + incoming(_c.units)},
    ),
)
INCREMENT_BATCH = Statement(
    "entities.cooccurrences.increment_batch",
    array_upsert(
        entity_cooccurrences,
        ["bank_id"],
        {"entity_id": "uuid", "other_id": "uuid", "units": "int"},
        ["bank_id", "entity_id", "other_id"],
        {"units": _c.units + incoming(_c.units)},
    ),
    only="postgresql",  # behind Capabilities.ordered_array_upsert
)
DECREMENT = Statement(
    "entities.cooccurrences.decrement",
    sa.update(entity_cooccurrences)
    .where(
        _c.bank_id == _BANK,
        _c.entity_id == sa.bindparam("entity_id", type_=_c.entity_id.type),
        _c.other_id == sa.bindparam("other_id", type_=_c.other_id.type),
    )
    .values(units=_c.units - sa.bindparam("units", type_=_c.units.type)),
)
PRUNE = Statement(
    "entities.cooccurrences.prune",
    sa.delete(entity_cooccurrences).where(
        _c.bank_id == _BANK,
        in_uuids(_c.entity_id, "entity_ids"),
        _c.units <= sa.literal_column("0"),
    ),
)
MENTIONS_OF = Statement(
    "entities.cooccurrences.mentions",
    sa.select(_ue.unit_id, _ue.entity_id).where(_ue.bank_id == _BANK, in_uuids(_ue.unit_id, "ids")),
)

Pair = tuple[uuid.UUID, uuid.UUID]


def pairs(mentions: Iterable[tuple[uuid.UUID, uuid.UUID]]) -> Counter[Pair]:
    """(unit, entity) mentions -> units per ordered pair of distinct entities."""
    by_unit: defaultdict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for unit_id, entity_id in mentions:
        by_unit[unit_id].add(entity_id)
    out: Counter[Pair] = Counter()
    for found in by_unit.values():
        out.update((a, b) for a in found for b in found if a != b)
    return out


def _rows(bank_id: str, counted: Counter[Pair]) -> list[dict[str, object]]:
    return [
        {"bank_id": bank_id, "entity_id": a, "other_id": b, "units": n}
        for (a, b), n in sorted(counted.items())
    ]


async def add(db: Backend, bank_id: str, mentions: Iterable[tuple[uuid.UUID, uuid.UUID]]) -> None:
    """Count the pairs of newly written mentions."""
    counted = pairs(mentions)
    if not counted:
        return
    if not db.capabilities.ordered_array_upsert:
        await db.executemany(INCREMENT, _rows(bank_id, counted))
        return
    ordered = sorted(counted.items())
    await db.execute(
        INCREMENT_BATCH,
        {
            "bank_id": bank_id,
            "entity_id": [a for (a, _), _ in ordered],
            "other_id": [b for (_, b), _ in ordered],
            "units": [n for _, n in ordered],
        },
    )


async def pairs_of(db: Backend, bank_id: str, unit_ids: list[uuid.UUID]) -> Counter[Pair]:
    """The pairs counted for units (read before they are deleted)."""
    if not unit_ids:
        return Counter()
    rows = await db.fetch(MENTIONS_OF, {"bank_id": bank_id, "ids": unit_ids})
    return pairs((r["unit_id"], r["entity_id"]) for r in rows)


async def uncount(db: Backend, bank_id: str, counted: Counter[Pair]) -> None:
    """Take counted pairs off; drop pairs left at zero (pairs of deleted entities went
    with them by cascade)."""
    if not counted:
        return
    await db.executemany(DECREMENT, _rows(bank_id, counted))
    entity_ids = sorted({a for a, _ in counted})
    await db.execute(PRUNE, {"bank_id": bank_id, "entity_ids": entity_ids})
