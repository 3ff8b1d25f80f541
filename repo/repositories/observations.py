"""Observations: memory units derived from source units.

Where the sources live is a backend capability (`uses_observation_sources_table`):
PostgreSQL keeps `source_memory_ids uuid[]` on the row (GIN, `&&`) and never writes
the junction table; Oracle uses the `observation_sources` junction table.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from repo.backends.base import Backend
from repo.errors import NotFoundError, ValidationError
from repo.models import MemoryIn, ObservationUpdate
from repo.repositories.base import Repository
from repo.repositories.locks import lock_bank
from repo.repositories.memories import (
    UNIT_COLUMNS,
    UNIT_INSERT,
    UNIT_INSERT_COLUMNS,
    MemoryRepository,
    unit_record,
)
from repo.repositories.unit_removal import remove_units
from repo.rows import Row
from repo.sql import Statement, in_uuids, upsert
from repo.validation.batches import check_batch, check_model
from repo.validation.embeddings import check_embedding
from repo.validation.scalars import check_optional_datetime, check_uuid, check_uuids
from repo.validation.text import check_id, check_indexed_text, check_optional_text, check_tags
from schema.tables import memory_units, observation_history, observation_sources

_u = memory_units.c
_s = observation_sources.c
_BANK = sa.bindparam("bank_id", type_=_u.bank_id.type)


def _ids_by_array() -> sa.Select[Any]:
    ids = sa.bindparam("source_ids", type_=_u.source_memory_ids.type)
    return sa.select(_u.id).where(
        _u.bank_id == _BANK,
        _u.fact_type == sa.literal_column("'observation'"),
        _u.source_memory_ids.op("&&")(ids),
    )


def _ids_by_table() -> sa.Select[Any]:
    return (
        sa.select(_s.observation_id.label("id"))
        .where(_s.bank_id == _BANK, in_uuids(_s.source_id, "source_ids"))
        .distinct()
    )


FIND_IDS = {False: _ids_by_array(), True: _ids_by_table()}

FIND = {
    table: Statement(
        f"observations.find_by_sources.{'table' if table else 'array'}",
        sa.select(*UNIT_COLUMNS)
        .where(_u.bank_id == _BANK, _u.id.in_(ids.scalar_subquery()))
        .order_by(_u.created_at),
        only=None if table else "postgresql",
    )
    for table, ids in FIND_IDS.items()
}
#: The observations citing any of some units (they go when those units go).
CITING = {
    table: Statement(
        f"observations.ids_by_sources.{'table' if table else 'array'}",
        ids,
        only=None if table else "postgresql",
    )
    for table, ids in FIND_IDS.items()
}
SOURCE_INSERT = Statement(
    "observations.sources.insert",
    upsert(
        observation_sources,
        ["observation_id", "source_id", "bank_id"],
        ["bank_id", "observation_id", "source_id"],
    ),
)
SOURCES_OF = Statement(
    "observations.sources_of",
    sa.select(_s.observation_id, _s.source_id).where(
        _s.bank_id == _BANK, in_uuids(_s.observation_id, "ids")
    ),
)

_h = observation_history.c
_OBS: sa.ColumnElement[str] = sa.literal_column("'observation'", sa.String())
_KEY = (_u.bank_id == _BANK, _u.id == sa.bindparam("id", type_=_u.id.type))

LOCK_OBSERVATION = Statement(
    "observations.lock",
    sa.select(
        _u.text, _u.tags, _u.source_memory_ids, _u.occurred_start, _u.occurred_end,
        _u.proof_count,
    )
    .where(*_KEY, _u.fact_type == _OBS)
    .with_for_update(),
)  # fmt: skip
FIND_ONE = Statement("observations.get", sa.select(*UNIT_COLUMNS).where(*_KEY))
_UPDATED = ("text", "embedding", "tags", "occurred_start", "occurred_end", "proof_count")


def _update(array: bool) -> sa.Update:
    names = [*_UPDATED, "updated_at", *(["source_memory_ids"] if array else [])]
    values = {n: sa.bindparam(n, type_=memory_units.c[n].type) for n in names}
    return sa.update(memory_units).where(*_KEY).values(values)


OBSERVATION_UPDATE = Statement("observations.update.table", _update(False))
OBSERVATION_UPDATE_ARRAY = Statement("observations.update.array", _update(True), only="postgresql")
HISTORY_INSERT = Statement(
    "observations.history.insert",
    sa.insert(observation_history).values({c.name: sa.bindparam(c.name) for c in _h}),
)
HISTORY_LIST = Statement(
    "observations.history.list",
    sa.select(observation_history)
    .where(
        _h.bank_id == _BANK,
        _h.observation_id == sa.bindparam("observation_id", type_=_h.observation_id.type),
    )
    .order_by(_h.created_at, _h.id),
)

_src = memory_units.alias("src")
_obs = memory_units.alias("obs")


def _live_by_array() -> sa.Select[Any]:
    cited = sa.select(sa.func.unnest(_obs.c.source_memory_ids)).where(
        _obs.c.bank_id == _BANK, _obs.c.id == sa.bindparam("id", type_=_u.id.type)
    )
    return (
        sa.select(_src.c.id)
        .where(_src.c.bank_id == _BANK, _src.c.id.in_(cited))
        .order_by(_src.c.id)
    )


def _live_by_table() -> sa.Select[Any]:
    return (
        sa.select(_src.c.id)
        .join(observation_sources, sa.and_(_s.source_id == _src.c.id, _s.bank_id == _src.c.bank_id))
        .where(_s.bank_id == _BANK, _s.observation_id == sa.bindparam("id", type_=_u.id.type))
        .order_by(_src.c.id)
    )


def _has_live_source(table: bool) -> sa.Exists:
    if not table:
        return sa.exists().where(
            _src.c.bank_id == _BANK, _src.c.id == sa.any_(_u.source_memory_ids)
        )
    joined = observation_sources.join(
        _src, sa.and_(_src.c.id == _s.source_id, _src.c.bank_id == _s.bank_id)
    )
    return sa.exists().select_from(joined).where(_s.bank_id == _BANK, _s.observation_id == _u.id)


LIVE_SOURCES = {
    False: Statement("observations.live_sources.array", _live_by_array(), only="postgresql"),
    True: Statement("observations.live_sources.table", _live_by_table()),
}
UNSUPPORTED = {
    table: Statement(
        f"observations.unsupported.{'table' if table else 'array'}",
        sa.select(_u.id).where(_u.bank_id == _BANK, _u.fact_type == _OBS, ~_has_live_source(table)),
        only=None if table else "postgresql",
    )
    for table in (False, True)
}


#: The units of a bank among some ids: an observation's new sources must exist there.
SOURCES_PRESENT = Statement(
    "observations.sources_present",
    sa.select(_u.id).where(_u.bank_id == _BANK, in_uuids(_u.id, "ids")),
)


async def citing_observations(
    db: Backend, bank_id: str, source_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Ids of the bank's observations citing any of `source_ids` (validated ids)."""
    junction = db.capabilities.uses_observation_sources_table
    rows = await db.fetch(CITING[junction], {"bank_id": bank_id, "source_ids": list(source_ids)})
    return [r["id"] for r in rows]


async def check_sources_present(db: Backend, bank_id: str, sources: list[uuid.UUID]) -> None:
    """Raise `NotFoundError` unless every source is a unit of `bank_id` (another bank's
    unit is unknown here). Call inside the writing transaction, after the bank lock."""
    if not sources:
        return
    found = {r["id"] for r in await db.fetch(SOURCES_PRESENT, {"bank_id": bank_id, "ids": sources})}
    missing = [s for s in sources if s not in found]
    if missing:
        raise NotFoundError(f"source unit {missing[0]} not found in bank {bank_id!r}")


class ObservationRepository(Repository):
    @property
    def _junction(self) -> bool:
        return self.db.capabilities.uses_observation_sources_table

    async def create(
        self,
        bank_id: str,
        text: str,
        embedding: Sequence[float],
        source_ids: Sequence[uuid.UUID | str],
        *,
        tags: Sequence[str] = (),
        metadata: Mapping[str, Any] | None = None,
        event_date: datetime | None = None,
    ) -> uuid.UUID:
        """Store an observation derived from `source_ids`; return its id."""
        check_id("bank_id", bank_id)
        sources = list(dict.fromkeys(check_uuids("source_ids", source_ids)))
        check_batch("source_ids", sources)
        unit = MemoryIn(
            text=text, embedding=embedding, fact_type="observation", tags=tags,
            metadata=metadata, event_date=event_date, proof_count=len(sources),
        )  # fmt: skip
        record = list(unit_record(bank_id, unit, 0, self.now(), self.dim))
        obs_id = record[0]
        if not self._junction:
            record[UNIT_INSERT_COLUMNS.index("source_memory_ids")] = sources
        async with self.db.transaction():
            await lock_bank(self.db, bank_id)
            await check_sources_present(self.db, bank_id, sources)
            await self.db.execute(UNIT_INSERT, dict(zip(UNIT_INSERT_COLUMNS, record, strict=True)))
            if self._junction:
                await self.db.executemany(
                    SOURCE_INSERT,
                    [
                        {"observation_id": obs_id, "source_id": s, "bank_id": bank_id}
                        for s in sources
                    ],
                )
        return obs_id  # type: ignore[no-any-return]

    async def find_by_sources(
        self, bank_id: str, source_ids: Sequence[uuid.UUID | str]
    ) -> list[Row]:
        """Observations citing any of `source_ids`, oldest first."""
        params = {
            "bank_id": check_id("bank_id", bank_id),
            "source_ids": check_uuids("source_ids", source_ids),
        }
        return await self.db.fetch(FIND[self._junction], params)

    async def sources_of(
        self, bank_id: str, ids: Sequence[uuid.UUID | str]
    ) -> dict[uuid.UUID, list[uuid.UUID]]:
        """The source ids of each observation."""
        check_id("bank_id", bank_id)
        obs = check_uuids("ids", ids)
        if self._junction:
            rows = await self.db.fetch(SOURCES_OF, {"bank_id": bank_id, "ids": obs})
            out: dict[uuid.UUID, list[uuid.UUID]] = {}
            for r in rows:
                out.setdefault(r["observation_id"], []).append(r["source_id"])
            return out
        units = await MemoryRepository(self.db, dim=self.dim, clock=self.now).get(bank_id, obs)
        return {u["id"]: list(u["source_memory_ids"] or []) for u in units}

    async def delete_stale(
        self, bank_id: str, removed_source_ids: Sequence[uuid.UUID | str]
    ) -> int:
        """Delete the observations citing any removed source; return how many. One
        transaction through the one unit-removal path, in the canonical lock order: the
        bank lock, the observations by id, their links, their entities (which lose the
        mentions; orphans go) and co-occurrences."""
        check_id("bank_id", bank_id)
        sources = check_uuids("source_ids", removed_source_ids)
        if not sources:
            return 0
        async with self.db.transaction():
            if not await lock_bank(self.db, bank_id, required=False):
                return 0
            stale = await citing_observations(self.db, bank_id, sources)
            return len(await remove_units(self.db, bank_id, stale, self.now()))

    # ------------------------------------------------------------------ consolidation

    async def update(
        self, bank_id: str, observation_id: uuid.UUID | str, change: ObservationUpdate
    ) -> Row:
        """Apply a consolidation step in one transaction and record it in the history:
        replace text and embedding, add new source ids, widen the time bounds (least start,
        greatest end), merge tags, add the number of new sources to the proof count.
        Return the updated observation."""
        check_id("bank_id", bank_id)
        check_model("change", change, ObservationUpdate)
        obs_id = check_uuid("observation_id", observation_id)
        if not isinstance(change, ObservationUpdate):
            raise ValidationError(
                "change", f"expected ObservationUpdate, got {type(change).__name__}"
            )
        text = check_indexed_text("text", change.text)
        vector = check_embedding("embedding", change.embedding, self.dim)
        offered = list(dict.fromkeys(check_uuids("add_source_ids", change.add_source_ids)))
        check_batch("add_source_ids", offered, allow_empty=True)
        start = check_optional_datetime("occurred_start", change.occurred_start)
        end = check_optional_datetime("occurred_end", change.occurred_end)
        tags = check_tags("tags", change.tags)
        reason = check_optional_text("reason", change.reason, max_length=255)
        now = self.now()
        key = {"bank_id": bank_id, "id": obs_id}
        async with self.db.transaction():
            found = await lock_bank(self.db, bank_id, required=False)
            current = await self.db.fetchrow(LOCK_OBSERVATION, key) if found else None
            if current is None:
                raise NotFoundError(f"observation {obs_id} not found in bank {bank_id!r}")
            existing = await self._sources(bank_id, obs_id, current)
            added = [s for s in offered if s not in set(existing)]
            await check_sources_present(self.db, bank_id, added)
            params: dict[str, Any] = {
                **key,
                "text": text,
                "embedding": vector,
                "tags": list(dict.fromkeys([*(current["tags"] or []), *tags])),
                "occurred_start": _bound(min, current["occurred_start"], start),
                "occurred_end": _bound(max, current["occurred_end"], end),
                "proof_count": current["proof_count"] + len(added),
                "updated_at": now,
            }
            if self._junction:
                await self.db.execute(OBSERVATION_UPDATE, params)
                if added:
                    rows = [
                        {"observation_id": obs_id, "source_id": s, "bank_id": bank_id}
                        for s in added
                    ]
                    await self.db.executemany(SOURCE_INSERT, rows)
            else:
                params["source_memory_ids"] = [*existing, *added]
                await self.db.execute(OBSERVATION_UPDATE_ARRAY, params)
            await self.db.execute(
                HISTORY_INSERT,
                {
                    "id": uuid.uuid4(), "bank_id": bank_id, "observation_id": obs_id,
                    "previous_text": current["text"],
                    "sources_added": [str(s) for s in added], "reason": reason,
                    "created_at": now,
                },
            )  # fmt: skip
            updated = await self.db.fetchrow(FIND_ONE, key)
        assert updated is not None
        return updated

    async def _sources(self, bank_id: str, obs_id: uuid.UUID, row: Row) -> list[uuid.UUID]:
        if not self._junction:
            return list(row["source_memory_ids"] or [])
        rows = await self.db.fetch(SOURCES_OF, {"bank_id": bank_id, "ids": [obs_id]})
        return [r["source_id"] for r in rows]

    async def history(self, bank_id: str, observation_id: uuid.UUID | str) -> list[Row]:
        """Every recorded change of an observation, oldest first."""
        params = {
            "bank_id": check_id("bank_id", bank_id),
            "observation_id": check_uuid("observation_id", observation_id),
        }
        return await self.db.fetch(HISTORY_LIST, params)

    async def live_sources(self, bank_id: str, observation_id: uuid.UUID | str) -> list[uuid.UUID]:
        """The observation's source ids whose units still exist."""
        params = {
            "bank_id": check_id("bank_id", bank_id),
            "id": check_uuid("observation_id", observation_id),
        }
        rows = await self.db.fetch(LIVE_SOURCES[self._junction], params)
        return [r["id"] for r in rows]

    async def delete_unsupported(self, bank_id: str) -> int:
        """Delete the bank's observations none of whose sources still exist (their entity
        mentions too, like every unit removal); return how many."""
        params = {"bank_id": check_id("bank_id", bank_id)}
        async with self.db.transaction():
            if not await lock_bank(self.db, bank_id, required=False):
                return 0
            ids = [r["id"] for r in await self.db.fetch(UNSUPPORTED[self._junction], params)]
            return len(await remove_units(self.db, bank_id, ids, self.now()))


def _bound(
    pick: Callable[[datetime, datetime], datetime], old: datetime | None, new: datetime | None
) -> datetime | None:
    """The wider of two optional time bounds."""
    if old is None or new is None:
        return old if new is None else new
    return pick(old, new)
