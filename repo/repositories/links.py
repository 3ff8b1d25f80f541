"""Links: weighted, typed edges between memory units (temporal, semantic, entity, causal).

Links are written with the units (`memories.retain`) or later (`memories.add_links`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa

from repo.repositories.base import Repository
from repo.rows import Row
from repo.sql import Statement, in_uuids
from repo.validation.scalars import check_link_type, check_uuid, check_uuids
from repo.validation.text import check_id
from schema.tables import memory_links

_l = memory_links.c
_BANK = sa.bindparam("bank_id", type_=_l.bank_id.type)

OUTGOING = Statement(
    "links.outgoing",
    sa.select(memory_links)
    .where(_l.bank_id == _BANK, in_uuids(_l.from_unit_id, "ids"))
    .order_by(_l.weight.desc(), _l.to_unit_id),
)
DELETE = Statement(
    "links.delete",
    sa.delete(memory_links).where(
        _l.bank_id == _BANK,
        _l.from_unit_id == sa.bindparam("from_unit_id", type_=_l.from_unit_id.type),
        _l.to_unit_id == sa.bindparam("to_unit_id", type_=_l.to_unit_id.type),
        _l.link_type == sa.bindparam("link_type"),
    ),
)


class LinkRepository(Repository):
    async def outgoing(self, bank_id: str, unit_ids: Sequence[uuid.UUID | str]) -> list[Row]:
        """Links leaving the given units, strongest first."""
        params = {"bank_id": check_id("bank_id", bank_id), "ids": check_uuids("ids", unit_ids)}
        return await self.db.fetch(OUTGOING, params)

    async def delete(
        self, bank_id: str, from_id: uuid.UUID | str, to_id: uuid.UUID | str, link_type: str
    ) -> bool:
        params = {
            "bank_id": check_id("bank_id", bank_id),
            "from_unit_id": check_uuid("from_id", from_id),
            "to_unit_id": check_uuid("to_id", to_id),
            "link_type": check_link_type("link_type", link_type),
        }
        return await self.db.execute(DELETE, params) > 0
