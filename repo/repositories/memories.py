"""Memory units: batch retain (units, entities, links in one transaction), get, list, update,
delete."""

from __future__ import annotations

import unicodedata
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from repo.errors import NotFoundError, ValidationError
from repo.models import EntityIn, LinkIn, MemoryIn, MemoryUpdate
from repo.repositories import cooccurrence
from repo.repositories.curation import Curation
from repo.repositories.locks import lock_bank, lock_referenced_units
from repo.repositories.unit_removal import remove_units
from repo.repositories.visibility import UNIT_COLUMNS
from repo.rows import Row
from repo.sql import (
    Statement,
    StatementFamily,
    in_texts,
    in_uuids,
    incoming,
    upsert,
)
from repo.validation.batches import check_batch, check_model, check_sequence, collector_paused
from repo.validation.embeddings import check_embedding
from repo.validation.json_objects import check_json
from repo.validation.scalars import (
    check_count,
    check_fact_type,
    check_link_type,
    check_optional_datetime,
    check_uuid,
    check_uuids,
    check_weight,
)
from repo.validation.text import (
    check_id,
    check_indexed_text,
    check_optional_text,
    check_tags,
    check_text,
)
from schema.tables import entities, memory_links, memory_units, unit_entities

_u = memory_units.c

__all__ = ["UNIT_COLUMNS", "MemoryRepository", "canonical_entity_name", "unit_record"]

UNIT_INSERT_COLUMNS = [
    "id", "bank_id", "document_id", "chunk_id", "text", "context", "embedding", "fact_type",
    "event_date", "occurred_start", "occurred_end", "mentioned_at", "tags", "metadata",
    "proof_count", "source_memory_ids", "created_at", "updated_at",
]  # fmt: skip

ENTITY_COLUMNS = [
    "id", "bank_id", "name", "canonical_name", "entity_type", "metadata", "mention_count",
    "created_at", "updated_at",
]  # fmt: skip

LINK_COLUMNS = ["from_unit_id", "to_unit_id", "link_type", "bank_id", "weight", "created_at"]

ENTITY_UPSERT = Statement(
    "entities.upsert",
    upsert(
        entities,
        ENTITY_COLUMNS,
        ["bank_id", "canonical_name"],
        {
            "mention_count": entities.c.mention_count + incoming(entities.c.mention_count),
            "updated_at": incoming(entities.c.updated_at),
        },
    ),
)
ENTITY_IDS = Statement(
    "entities.ids_by_name",
    sa.select(entities.c.id, entities.c.canonical_name).where(
        entities.c.bank_id == sa.bindparam("bank_id"),
        in_texts(entities.c.canonical_name, "names"),
    ),
)
LINK_INSERT = Statement(
    "links.insert_if_absent",
    upsert(memory_links, LINK_COLUMNS, ["bank_id", "from_unit_id", "to_unit_id", "link_type"]),
)
UNIT_INSERT = Statement(
    "memories.insert",
    sa.insert(memory_units).values({c: sa.bindparam(c) for c in UNIT_INSERT_COLUMNS}),
)
GET = Statement(
    "memories.get",
    sa.select(memory_units).where(_u.bank_id == sa.bindparam("bank_id"), in_uuids(_u.id, "ids")),
)
COUNT = Statement(
    "memories.count",
    sa.select(sa.func.count())
    .select_from(memory_units)
    .where(_u.bank_id == sa.bindparam("bank_id")),
)

_UPDATABLE = ("text", "context", "embedding", "tags", "metadata", "proof_count", "event_date")


def _update(**fields: bool) -> sa.Update:
    values: dict[str, Any] = {
        name: sa.bindparam(name, type_=memory_units.c[name].type)
        for name in _UPDATABLE
        if fields.get(name)
    }
    values["updated_at"] = sa.bindparam("updated_at", type_=_u.updated_at.type)
    return (
        sa.update(memory_units)
        .where(_u.bank_id == sa.bindparam("bank_id"), _u.id == sa.bindparam("unit_id"))
        .values(values)
    )


UPDATE = StatementFamily(
    "memories.update",
    _update,
    [{f: True} for f in _UPDATABLE] + [dict.fromkeys(_UPDATABLE, True)],
)


def canonical_entity_name(name: str) -> str:
    """Entities are matched per bank by this form of their name: Unicode NFC (so composed
    and decomposed spellings agree), spaces collapsed, case folded, NFC again (folding can
    decompose)."""
    folded = " ".join(unicodedata.normalize("NFC", name).split()).casefold()
    return unicodedata.normalize("NFC", folded)


def unit_record(
    bank_id: str, unit: MemoryIn, index: int, now: datetime, dim: int
) -> tuple[Any, ...]:
    """Validate one unit and return its row in `UNIT_INSERT_COLUMNS` order."""
    try:
        return (
            check_uuid("id", unit.id) if unit.id is not None else uuid.uuid4(),
            bank_id,
            None if unit.document_id is None else check_id("document_id", unit.document_id),
            None if unit.chunk_id is None else check_id("chunk_id", unit.chunk_id),
            check_indexed_text("text", unit.text),
            check_optional_text("context", unit.context),
            check_embedding("embedding", unit.embedding, dim),
            check_fact_type("fact_type", unit.fact_type),
            check_optional_datetime("event_date", unit.event_date),
            check_optional_datetime("occurred_start", unit.occurred_start),
            check_optional_datetime("occurred_end", unit.occurred_end),
            check_optional_datetime("mentioned_at", unit.mentioned_at),
            check_tags("tags", unit.tags),
            check_json("metadata", unit.metadata),
            check_count("proof_count", unit.proof_count),
            None,
            now,
            now,
        )
    except ValidationError as exc:  # name the unit only when something is wrong
        raise ValidationError(f"units[{index}].{exc.field}", exc.message) from None


def link_records(bank_id: str, links: Sequence[LinkIn], now: datetime) -> list[tuple[Any, ...]]:
    """Validate links and return their rows in `LINK_COLUMNS` order, one per
    (from, to, type) (the last one given wins), sorted by it: the canonical order in which
    every writer locks link keys."""
    rows: dict[tuple[uuid.UUID, uuid.UUID, str], tuple[Any, ...]] = {}
    for i, link in enumerate(links):
        try:
            key = (
                check_uuid("from_id", link.from_id),
                check_uuid("to_id", link.to_id),
                check_link_type("link_type", link.link_type),
            )
            rows[key] = (*key, bank_id, check_weight("weight", link.weight), now)
        except ValidationError as exc:
            raise ValidationError(f"links[{i}].{exc.field}", exc.message) from None
    # UUIDs order by their integers: sorting by those skips UUID.__lt__ (Python code).
    return [rows[key] for key in sorted(rows, key=lambda k: (k[0].int, k[1].int, k[2]))]


def link_rows(bank_id: str, links: Sequence[LinkIn], now: datetime) -> list[dict[str, Any]]:
    """Validate links and return their rows as mappings, one per (from, to, type), sorted
    by it (see `link_records`)."""
    return [dict(zip(LINK_COLUMNS, r, strict=True)) for r in link_records(bank_id, links, now)]


@dataclass(slots=True)
class RetainBatch:
    """A validated retain, ready to write: unit rows, entity mentions and rows, links."""

    bank_id: str
    records: list[tuple[Any, ...]]
    ids: list[uuid.UUID]
    mentions: list[tuple[int, str]]
    entity_rows: list[dict[str, Any]]
    edges: list[tuple[Any, ...]]

    def referenced_units(self) -> set[uuid.UUID]:
        """The existing units the links reference (ends that are not units of the batch)."""
        return {end for e in self.edges for end in e[:2]} - set(self.ids)

    def subset(self, keep: Sequence[int]) -> RetainBatch:
        """The batch of the units at the indexes `keep` (ascending), with their mentions
        and entity rows (mention counts recounted), and every link: no unit validated
        again."""
        index = {old: new for new, old in enumerate(keep)}
        mentions = [(index[i], name) for i, name in self.mentions if i in index]
        counts = Counter(name for _, name in mentions)
        entity_rows = [
            {**row, "mention_count": counts[row["canonical_name"]]}
            for row in self.entity_rows
            if row["canonical_name"] in counts
        ]
        records = [self.records[i] for i in keep]
        ids = [self.ids[i] for i in keep]
        return RetainBatch(self.bank_id, records, ids, mentions, entity_rows, self.edges)


class MemoryRepository(Curation):
    async def retain(
        self, bank_id: str, units: Sequence[MemoryIn], links: Sequence[LinkIn] = ()
    ) -> list[uuid.UUID]:
        """Store units with their entities and links in one transaction; return the unit ids.

        Everything is validated first; on any error nothing is written.
        """
        return await self.write_retain(self.prepare_retain(bank_id, units, links))

    def prepare_retain(
        self, bank_id: str, units: Sequence[MemoryIn], links: Sequence[LinkIn] = ()
    ) -> RetainBatch:
        """Validate a retain without running any SQL (for callers that write it later, in
        their own transaction, and must reject bad input first)."""
        check_id("bank_id", bank_id)
        check_batch("units", units, kind=MemoryIn)
        check_batch("links", links, allow_empty=True, kind=LinkIn)
        now = self.now()
        with collector_paused():  # the batch allocates ~10 containers per unit
            records = [unit_record(bank_id, u, i, now, self.dim) for i, u in enumerate(units)]
            ids = [r[0] for r in records]
            if len(set(ids)) != len(ids):
                raise ValidationError("units", "duplicate unit ids")
            mentions, entity_rows = self._entity_mentions(bank_id, units, now)
            edges = link_records(bank_id, links, now)
        return RetainBatch(bank_id, records, ids, mentions, entity_rows, edges)

    async def write_retain(self, batch: RetainBatch) -> list[uuid.UUID]:
        """Write a prepared retain in one transaction; return the unit ids."""
        check_model("batch", batch, RetainBatch)
        async with self.db.transaction():
            await lock_bank(self.db, batch.bank_id)
            by_id = sorted(batch.records, key=lambda r: r[0].int)  # units are written in id order
            await self.db.bulk_insert(memory_units, UNIT_INSERT_COLUMNS, by_id)
            await lock_referenced_units(self.db, batch.bank_id, batch.referenced_units())
            if batch.mentions:
                await self._attach_entities(
                    batch.bank_id, batch.ids, batch.mentions, batch.entity_rows
                )
            await self._insert_links(batch.edges, set(batch.ids))
        return batch.ids

    def _entity_mentions(
        self, bank_id: str, units: Sequence[MemoryIn], now: datetime
    ) -> tuple[list[tuple[int, str]], list[dict[str, Any]]]:
        """Validate every entity mention: (unit index, canonical name) per mention, and one
        entity row per distinct name (first spelling and type win, mentions counted),
        sorted by name so concurrent retains lock entity rows in the same order."""
        mentions: list[tuple[int, str]] = []
        entity_rows: dict[str, dict[str, Any]] = {}
        for i, unit in enumerate(units):
            seen: set[str] = set()
            for ent in check_sequence(f"units[{i}].entities", unit.entities, "entities"):
                e = ent if isinstance(ent, EntityIn) else EntityIn(ent)  # type: ignore[arg-type]  # checked next
                name = check_text(f"units[{i}].entities", e.name, max_length=255)
                canonical = canonical_entity_name(name)
                if len(canonical) > 255:  # case folding can lengthen a name ("ß" -> "ss")
                    raise ValidationError(f"units[{i}].entities", "too long once case-folded")
                if not canonical or canonical in seen:
                    continue
                seen.add(canonical)
                entity_type = check_optional_text(
                    f"units[{i}].entities.entity_type", e.entity_type, max_length=64
                )
                mentions.append((i, canonical))
                row = entity_rows.get(canonical)
                if row is not None:
                    row["mention_count"] += 1
                    continue
                entity_rows[canonical] = {
                    "id": uuid.uuid4(), "bank_id": bank_id, "name": name,
                    "canonical_name": canonical, "entity_type": entity_type, "metadata": None,
                    "mention_count": 1, "created_at": now, "updated_at": now,
                }  # fmt: skip
        return mentions, [entity_rows[name] for name in sorted(entity_rows)]

    async def _attach_entities(
        self,
        bank_id: str,
        unit_ids: list[uuid.UUID],
        mentions: list[tuple[int, str]],
        entity_rows: list[dict[str, Any]],
    ) -> None:
        await self.db.executemany(ENTITY_UPSERT, entity_rows)
        names = [row["canonical_name"] for row in entity_rows]
        found = await self.db.fetch(ENTITY_IDS, {"bank_id": bank_id, "names": names})
        id_of = {r["canonical_name"]: r["id"] for r in found}
        rows = sorted(
            ((unit_ids[i], id_of[canonical], bank_id) for i, canonical in mentions),
            key=lambda r: (r[0].int, r[1].int),  # (unit, entity) order, as UUIDs compare
        )
        await self.db.bulk_insert(unit_entities, ["unit_id", "entity_id", "bank_id"], rows)
        await cooccurrence.add(self.db, bank_id, ((u, e) for u, e, _ in rows))

    async def _insert_links(self, edges: list[tuple[Any, ...]], new_units: set[uuid.UUID]) -> None:
        """Links leaving units of this batch cannot exist yet: bulk-load them. Links leaving
        older units are inserted only if absent."""
        fresh = [e for e in edges if e[0] in new_units]
        older = [dict(zip(LINK_COLUMNS, e, strict=True)) for e in edges if e[0] not in new_units]
        if fresh:
            await self.db.bulk_insert(memory_links, LINK_COLUMNS, fresh)
        if older:
            await self.db.executemany(LINK_INSERT, older)

    async def add_links(self, bank_id: str, links: Sequence[LinkIn]) -> None:
        """Add links between existing units (existing links are kept as they are)."""
        check_id("bank_id", bank_id)
        check_batch("links", links, kind=LinkIn)
        rows = link_rows(bank_id, links, self.now())
        async with self.db.transaction():
            await lock_bank(self.db, bank_id)
            ends = (r[end] for r in rows for end in ("from_unit_id", "to_unit_id"))
            await lock_referenced_units(self.db, bank_id, ends)
            await self.db.executemany(LINK_INSERT, rows)

    async def get(self, bank_id: str, ids: Sequence[uuid.UUID | str]) -> list[Row]:
        """Units by id (with embeddings), in no particular order; missing ids are skipped."""
        params = {"bank_id": check_id("bank_id", bank_id), "ids": check_uuids("ids", ids)}
        return await self.db.fetch(GET, params)

    async def get_one(self, bank_id: str, unit_id: uuid.UUID | str) -> Row:
        rows = await self.get(bank_id, [unit_id])
        if not rows:
            raise NotFoundError(f"memory unit {unit_id} not found in bank {bank_id!r}")
        return rows[0]

    async def update(self, bank_id: str, unit_id: uuid.UUID | str, change: MemoryUpdate) -> Row:
        """Change some fields of a unit; return the updated unit."""
        check_model("change", change, MemoryUpdate)
        params: dict[str, Any] = {
            "bank_id": check_id("bank_id", bank_id),
            "unit_id": check_uuid("unit_id", unit_id),
            "updated_at": self.now(),
        }
        checks: Mapping[str, Any] = {
            "text": lambda v: check_indexed_text("text", v),
            "context": lambda v: check_text("context", v),
            "embedding": lambda v: check_embedding("embedding", v, self.dim),
            "tags": lambda v: check_tags("tags", v),
            "metadata": lambda v: check_json("metadata", v),
            "proof_count": lambda v: check_count("proof_count", v),
            "event_date": lambda v: check_optional_datetime("event_date", v),
        }
        for name, check in checks.items():
            value = getattr(change, name)
            if value is not None:
                params[name] = check(value)
        fields = {name: True for name in _UPDATABLE if name in params}
        if not fields:
            raise ValidationError("change", "no field to update")
        async with self.db.transaction():
            if await self.db.execute(UPDATE.shape(**fields), params) == 0:
                raise NotFoundError(f"memory unit {unit_id} not found in bank {bank_id!r}")
            return await self.get_one(bank_id, params["unit_id"])

    async def delete(self, bank_id: str, ids: Sequence[uuid.UUID | str]) -> int:
        """Delete units (their links and entity mentions go by cascade, entities left
        without units with them); return how many."""
        check_id("bank_id", bank_id)
        unit_ids = check_uuids("ids", ids)
        async with self.db.transaction():
            if not await lock_bank(self.db, bank_id, required=False):
                return 0
            return len(await remove_units(self.db, bank_id, unit_ids, self.now()))

    async def count(self, bank_id: str) -> int:
        return int(await self.db.fetchval(COUNT, {"bank_id": check_id("bank_id", bank_id)}))
