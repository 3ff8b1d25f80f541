"""Removing memory units and keeping entities true in the same transaction: every entity
loses one mention per removed unit that mentioned it, and an entity left without units
is deleted.

Locks are taken in the canonical order: the units by id first (a concurrent remover of
the same units waits, then finds them gone and changes nothing), then the links touching
them by (from, to, type), so their cascade deletion finds them locked, then the entities by
folded name, the order `memories.retain` upserts them in, then co-occurrence pairs
sorted, as retain writes them after its entities.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

import sqlalchemy as sa

from repo.backends.base import Backend
from repo.repositories import cooccurrence
from repo.sql import Statement, in_uuids
from schema.tables import entities, memory_links, memory_units, unit_entities

_u = memory_units.c
_e = entities.c
_l = memory_links.c
_m = unit_entities.c
_BANK = sa.bindparam("bank_id", type_=_u.bank_id.type)

LOCK_UNITS = Statement(
    "memories.lock",
    sa.select(_u.id)
    .where(_u.bank_id == _BANK, in_uuids(_u.id, "ids"))
    .order_by(_u.id)
    .with_for_update(),
)
LOCK_LINKS = Statement(
    "links.lock_of_units",
    sa.select(_l.from_unit_id, _l.to_unit_id, _l.link_type)
    .where(
        _l.bank_id == _BANK,
        sa.or_(in_uuids(_l.from_unit_id, "from_ids"), in_uuids(_l.to_unit_id, "to_ids")),
    )
    .order_by(_l.from_unit_id, _l.to_unit_id, _l.link_type)
    .with_for_update(),
)
MENTIONS = Statement(
    "entities.mentions_of_units",
    sa.select(_m.entity_id, sa.func.count().label("n"))
    .join_from(unit_entities, entities, sa.and_(_e.bank_id == _m.bank_id, _e.id == _m.entity_id))
    .where(_m.bank_id == _BANK, in_uuids(_m.unit_id, "ids"))
    .group_by(_m.entity_id, _e.canonical_name)
    .order_by(_e.canonical_name),
)
DELETE_UNITS = Statement(
    "memories.delete",
    sa.delete(memory_units).where(_u.bank_id == _BANK, in_uuids(_u.id, "ids")),
)
UNMENTION = Statement(
    "entities.unmention",
    sa.update(entities)
    .where(_e.bank_id == _BANK, _e.id == sa.bindparam("entity_id", type_=_e.id.type))
    .values(
        mention_count=_e.mention_count - sa.bindparam("n", type_=sa.Integer()),
        updated_at=sa.bindparam("updated_at", type_=_e.updated_at.type),
    ),
)
PRUNE_ORPHANS = Statement(
    "entities.prune_orphans",
    sa.delete(entities).where(
        _e.bank_id == _BANK, in_uuids(_e.id, "ids"), _e.mention_count <= sa.literal_column("0")
    ),
)


async def remove_units(
    db: Backend,
    bank_id: str,
    ids: Sequence[uuid.UUID],
    now: datetime,
    *,
    also_lock: Collection[uuid.UUID] = (),
) -> list[uuid.UUID]:
    """Delete the bank's units among `ids` (links, locked first in canonical order, mentions
    and sources go by cascade), take their mentions off the entities, delete entities left
    without units and uncount their entity co-occurrences; return the ids deleted. Call
    inside a transaction, after the bank lock.

    `also_lock`: units the same transaction will reference afterwards (links of a
    re-ingest), locked with the removed ones in one pass by id, so that no unit is locked
    after an entity."""
    if not ids:
        return []
    doomed = set(ids)
    every = [*doomed, *(u for u in also_lock if u not in doomed)]
    rows = await db.fetch(LOCK_UNITS, {"bank_id": bank_id, "ids": every})
    locked = [r["id"] for r in rows if r["id"] in doomed]
    if not locked:
        return []
    key = {"bank_id": bank_id, "ids": locked}
    await db.fetch(LOCK_LINKS, {"bank_id": bank_id, "from_ids": locked, "to_ids": locked})
    counts = await db.fetch(MENTIONS, key)
    pairs = await cooccurrence.pairs_of(db, bank_id, locked)
    await db.execute(DELETE_UNITS, key)
    if counts:
        await db.executemany(UNMENTION, [
            {"bank_id": bank_id, "entity_id": r["entity_id"], "n": r["n"], "updated_at": now}
            for r in counts
        ])  # fmt: skip
        touched = [r["entity_id"] for r in counts]
        await db.execute(PRUNE_ORPHANS, {"bank_id": bank_id, "ids": touched})
    await cooccurrence.uncount(db, bank_id, pairs)
    return locked
