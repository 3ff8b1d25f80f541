"""Observations: memory units derived from source units.

Where the sources live is a backend capability (`uses_observation_sources_table`):
PostgreSQL keeps `source_memory_ids uuid[]` on the row (GIN, `&&`) and never writes
the junction table; Oracle uses the `observation_sources` junction table.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from repo.models import MemoryIn
from repo.repositories.base import Repository
from repo.repositories.memories import (
    UNIT_COLUMNS,
    UNIT_INSERT,
    UNIT_INSERT_COLUMNS,
    MemoryRepository,
    unit_record,
)
from repo.rows import Row
from repo.sql import Statement, in_uuids, upsert
from repo.validation import check_batch, check_id, check_uuids
from schema.tables import memory_units, observation_sources

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
        sa.select(*UNIT_COLUMNS).where(_u.id.in_(ids.scalar_subquery())).order_by(_u.created_at),
        only=None if table else "postgresql",
    )
    for table, ids in FIND_IDS.items()
}
DELETE_STALE = {
    table: Statement(
        f"observations.delete_by_sources.{'table' if table else 'array'}",
        sa.delete(memory_units).where(_u.bank_id == _BANK, _u.id.in_(ids.scalar_subquery())),
        only=None if table else "postgresql",
    )
    for table, ids in FIND_IDS.items()
}
SOURCE_INSERT = Statement(
    "observations.sources.insert",
    upsert(
        observation_sources,
        ["observation_id", "source_id", "bank_id"],
        ["observation_id", "source_id"],
    ),
)
SOURCES_OF = Statement(
    "observations.sources_of",
    sa.select(_s.observation_id, _s.source_id).where(
        _s.bank_id == _BANK, in_uuids(_s.observation_id, "ids")
    ),
)


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
        """Delete the observations citing any removed source; return how many."""
        params = {
            "bank_id": check_id("bank_id", bank_id),
            "source_ids": check_uuids("source_ids", removed_source_ids),
        }
        if not params["source_ids"]:
            return 0
        return await self.db.execute(DELETE_STALE[self._junction], params)
