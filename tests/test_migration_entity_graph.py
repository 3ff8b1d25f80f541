"""Revision 0005 (entity graph) on a database holding data written before it: the upgrade
keeps every row and index, fills entity_cooccurrences from the existing mentions (ground
truth computed in Python), adds the trigram index, has no drift; the downgrade removes
exactly what it added."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import Counter

import pytest

from repo.migrations import downgrade_sync, migrate
from repo.store import open_store
from tests.conftest import new_schema
from tests.migration_data import (
    T0,
    TABLES,
    indexes,
    load_0001,
    schema_connection,
    snapshot,
)
from tests.providers import Provider
from tests.tenants import drop_schema
from tests.test_migrations import schema_diff

pytestmark = pytest.mark.integration


async def test_0005_fills_cooccurrences_from_existing_mentions(provider: Provider) -> None:
    if provider.backend != "postgresql":
        pytest.skip("the rows are written with PostgreSQL SQL; Oracle's half is golden-filed")
    schema = new_schema()
    try:
        await migrate(provider.url, schema=schema, revision="0001")
        async with schema_connection(provider.url, schema) as conn:
            ids = await load_0001(conn)
            # Two more entities: u1 mentions bob, ann, cy; u2 mentions bob, ann.
            extra = {"ann": uuid.uuid4(), "cy": uuid.uuid4()}
            for name, eid in extra.items():
                await conn.execute(
                    "INSERT INTO entities VALUES ($1, 'b1', $2, $2, NULL, NULL, 1, $3, $3)",
                    eid, name, T0,
                )  # fmt: skip
            mentions = [(ids["u1"], extra["ann"]), (ids["u2"], extra["ann"]),
                        (ids["u1"], extra["cy"])]  # fmt: skip
            for unit_id, entity_id in mentions:
                await conn.execute(
                    "INSERT INTO unit_entities VALUES ($1, $2, 'b1')", unit_id, entity_id
                )
            await migrate(provider.url, schema=schema, revision="0004")
            before, indexes_before = await snapshot(conn), await indexes(conn, schema)
            all_mentions = await conn.fetch("SELECT unit_id, entity_id FROM unit_entities")
            await migrate(provider.url, schema=schema, revision="0005")
            after, indexes_after = await snapshot(conn), await indexes(conn, schema)
            stored = await conn.fetch(
                "SELECT entity_id, other_id, units FROM entity_cooccurrences WHERE bank_id = 'b1'"
            )

        by_unit: dict[uuid.UUID, set[uuid.UUID]] = {}
        for r in all_mentions:
            by_unit.setdefault(r["unit_id"], set()).add(r["entity_id"])
        expected = Counter(
            pair for ents in by_unit.values() for pair in itertools.permutations(ents, 2)
        )
        assert len(expected) == 6 and expected[(ids["ent"], extra["ann"])] == 2
        assert Counter({(r["entity_id"], r["other_id"]): r["units"] for r in stored}) == expected
        for table in TABLES:
            assert after[table] == before[table], table
        assert {k: indexes_after[k] for k in indexes_before} == indexes_before
        assert set(indexes_after) - set(indexes_before) == {
            "ix_entities_name_trgm",
            "pk_entity_cooccurrences",
            "ix_entity_cooccurrences_strongest",
            "ix_entity_cooccurrences_other",
        }
        assert "USING gist (canonical_name gist_trgm_ops)" in indexes_after["ix_entities_name_trgm"]
        await migrate(provider.url, schema=schema)
        assert await schema_diff(provider.url, schema) == []

        async with open_store(provider.url, schema=schema, run_migrations=False) as store:
            [bob] = await store.entities.resolve("b1", ["bobb"], min_similarity=0.3)
            assert bob is not None and bob["id"] == ids["ent"]
            related = await store.entities.related("b1", ids["ent"])
            assert [(r["id"], r["shared_units"]) for r in related] == [
                (extra["ann"], 2), (extra["cy"], 1)
            ]  # fmt: skip

        await asyncio.to_thread(downgrade_sync, provider.url, schema=schema, revision="0004")
        async with schema_connection(provider.url, schema) as conn:
            assert await snapshot(conn) == before
            assert await indexes(conn, schema) == indexes_before
    finally:
        await drop_schema(provider.url, schema)
