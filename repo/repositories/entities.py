"""Entities: the people, places and things memory units mention, one row per bank and name."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from repo.errors import NotFoundError
from repo.repositories.entity_graph import EntityGraph
from repo.repositories.memories import canonical_entity_name
from repo.repositories.visibility import UNIT_COLUMNS, visible
from repo.rows import Row
from repo.sql import Statement, StatementFamily, flag_shapes, in_uuids
from repo.validation.scalars import check_limit, check_uuid, check_uuids
from repo.validation.text import check_id, check_text
from schema.tables import entities, memory_units, unit_entities

_e = entities.c
_BANK = sa.bindparam("bank_id", type_=_e.bank_id.type)


def _list(after: bool) -> sa.Select[Any]:
    stmt = (
        sa.select(entities)
        .where(_e.bank_id == _BANK)
        .order_by(_e.canonical_name)
        .limit(sa.bindparam("limit"))
    )
    return stmt.where(_e.canonical_name > sa.bindparam("after")) if after else stmt


LIST = StatementFamily("entities.list", _list, flag_shapes("after"))
BY_NAME = Statement(
    "entities.by_name",
    sa.select(entities).where(_e.bank_id == _BANK, _e.canonical_name == sa.bindparam("name")),
)
BY_IDS = Statement(
    "entities.by_ids", sa.select(entities).where(_e.bank_id == _BANK, in_uuids(_e.id, "ids"))
)
UNITS = Statement(
    "entities.units",
    sa.select(*UNIT_COLUMNS)
    .join_from(
        memory_units,
        unit_entities,
        sa.and_(
            unit_entities.c.bank_id == memory_units.c.bank_id,
            unit_entities.c.unit_id == memory_units.c.id,
        ),
    )
    .where(
        unit_entities.c.bank_id == _BANK,
        unit_entities.c.entity_id == sa.bindparam("entity_id", type_=_e.id.type),
        visible(),
    )
    .order_by(memory_units.c.created_at.desc(), memory_units.c.id.desc())
    .limit(sa.bindparam("limit")),
)


class EntityRepository(EntityGraph):
    async def by_name(self, bank_id: str, name: str) -> Row:
        """The entity with this name (matched case- and space-insensitively)."""
        canonical = canonical_entity_name(check_text("name", name, max_length=255))
        row = await self.db.fetchrow(
            BY_NAME, {"bank_id": check_id("bank_id", bank_id), "name": canonical}
        )
        if row is None:
            raise NotFoundError(f"entity {name!r} not found in bank {bank_id!r}")
        return row

    async def get(self, bank_id: str, ids: Sequence[uuid.UUID | str]) -> list[Row]:
        params = {"bank_id": check_id("bank_id", bank_id), "ids": check_uuids("ids", ids)}
        return await self.db.fetch(BY_IDS, params)

    async def units(
        self, bank_id: str, entity_id: uuid.UUID | str, *, limit: int = 100
    ) -> list[Row]:
        """The units that mention an entity, newest first."""
        params = {
            "bank_id": check_id("bank_id", bank_id),
            "entity_id": check_uuid("entity_id", entity_id),
            "limit": check_limit("limit", limit),
        }
        return await self.db.fetch(UNITS, params)

    async def list(self, bank_id: str, *, after: str = "", limit: int = 100) -> list[Row]:
        """Entities by canonical name, keyset-paginated: pass the last `canonical_name`."""
        params: dict[str, Any] = {
            "bank_id": check_id("bank_id", bank_id),
            "limit": check_limit("limit", limit),
        }
        if after:
            params["after"] = check_text("after", after, max_length=255)
        return await self.db.fetch(LIST.shape(after=bool(after)), params)
