"""Revision 0004 recounts `entities.mention_count` and deletes entities without units, on
a database whose counts were left wrong by earlier versions."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command

from repo.migrations import alembic_config, migrate
from repo.sql import Statement
from repo.store import Store, connect_backend
from schema.tables import entities
from tests.conftest import new_schema
from tests.helpers import unit
from tests.providers import Provider
from tests.tenants import drop_schema, prepare_schema

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

#: What earlier versions left behind: counts never decremented, entities without units.
INFLATE = Statement(
    "test.inflate_mentions",
    sa.update(entities)
    .where(entities.c.bank_id == sa.bindparam("bank_id"))
    .values(mention_count=entities.c.mention_count + sa.literal_column("5")),
    register=False,
)
ORPHAN = Statement(
    "test.orphan_entity",
    sa.insert(entities).values({c.name: sa.bindparam(c.name, type_=c.type) for c in entities.c}),
    register=False,
)


async def test_upgrade_to_0004_makes_mention_counts_true(provider: Provider) -> None:
    schema = new_schema()
    await prepare_schema(provider.url, schema)
    try:
        await migrate(provider.url, schema=schema, revision="0003")
        old = Store(await connect_backend(provider.url, schema=schema), provider.url)
        try:
            await old.banks.create("a")
            # One entity per unit: today's retain counts entity pairs in a table of 0005.
            await old.memories.retain("a", [
                unit(1, entities=["Ada"]), unit(2, entities=["Ada"]), unit(3),
                unit(4, entities=["Bob"]),
            ])  # fmt: skip
            await old.backend.execute(INFLATE, {"bank_id": "a"})
            now = datetime.now(UTC)
            await old.backend.execute(ORPHAN, {
                "id": uuid.uuid4(), "bank_id": "a", "name": "Gone", "canonical_name": "gone",
                "entity_type": None, "metadata": None, "mention_count": 3,
                "created_at": now, "updated_at": now,
            })  # fmt: skip
            wrong = {r["canonical_name"]: r["mention_count"] for r in await old.entities.list("a")}
        finally:
            await old.close()
        assert wrong == {"ada": 7, "bob": 6, "gone": 3}

        await migrate(provider.url, schema=schema)
        await asyncio.to_thread(command.check, alembic_config(provider.url, schema))
        new = Store(await connect_backend(provider.url, schema=schema), provider.url)
        try:
            counts = {r["canonical_name"]: r["mention_count"] for r in await new.entities.list("a")}
        finally:
            await new.close()
        assert counts == {"ada": 2, "bob": 1}
    finally:
        await drop_schema(provider.url, schema)
