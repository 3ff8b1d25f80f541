"""Revision 0002 (memory lifecycle) on a database that already holds data written at 0001:
upgrade keeps every row and adds the new columns as NULL, the new index and table exist,
the store works on the upgraded rows, `alembic check` finds no drift, downgrade restores
the 0001 schema with every row intact."""

from __future__ import annotations

import asyncio

import pytest

from repo.migrations import downgrade_sync, migrate
from repo.models import ObservationUpdate
from repo.store import open_store
from tests.conftest import new_schema
from tests.helpers import embedding
from tests.migration_data import TABLES, indexes, load_0001, schema_connection, snapshot
from tests.providers import Provider
from tests.tenants import drop_schema
from tests.test_migrations import schema_diff

pytestmark = pytest.mark.integration

NEW_UNIT_COLUMNS = {"consolidated_at", "consolidation_failed_at", "invalidated_at"}


async def test_0002_upgrades_and_downgrades_a_database_with_data(provider: Provider) -> None:
    if provider.backend != "postgresql":
        pytest.skip("the 0001 rows are written with PostgreSQL SQL; Oracle's half is golden-filed")
    schema = new_schema()
    try:
        await migrate(provider.url, schema=schema, revision="0001")
        async with schema_connection(provider.url, schema) as conn:
            ids = await load_0001(conn)
            before, indexes_before = await snapshot(conn), await indexes(conn, schema)
            await migrate(provider.url, schema=schema, revision="0002")
            after, indexes_after = await snapshot(conn), await indexes(conn, schema)

        # Every row kept; the new unit columns are NULL on every old row.
        for table in TABLES:
            assert len(after[table]) == len(before[table]), table
        for old, new in zip(before["memory_units"], after["memory_units"], strict=True):
            assert {k: new[k] for k in old} == old
            assert {k: new[k] for k in NEW_UNIT_COLUMNS} == dict.fromkeys(NEW_UNIT_COLUMNS)
        for table in set(TABLES) - {"memory_units"}:
            assert after[table] == before[table], table
        # Every index kept (same definition), plus the new ones.
        assert {k: indexes_after[k] for k in indexes_before} == indexes_before
        added = set(indexes_after) - set(indexes_before)
        assert added == {
            "ix_memory_units_bank_consolidated",
            "ix_observation_history_observation",
            "pk_observation_history",
        }
        assert (
            "(bank_id, consolidated_at, created_at, id)"
            in indexes_after["ix_memory_units_bank_consolidated"]
        )
        await migrate(provider.url, schema=schema)  # the later revisions, on the same rows
        assert await schema_diff(provider.url, schema) == []

        # The store works on the upgraded rows.
        async with open_store(provider.url, schema=schema, run_migrations=False) as store:
            pending = await store.consolidation.find_unconsolidated("b1")
            assert [r["id"] for r in pending] == [ids["u1"], ids["u2"]]
            assert await store.consolidation.mark_consolidated("b1", [ids["u1"]]) == 1
            assert await store.consolidation.count_unconsolidated("b1") == 1
            change = ObservationUpdate("bob is very social", embedding(9), [ids["u2"]])
            row = await store.observations.update("b1", ids["obs"], change)
            assert row["text"] == "bob is very social"
            [history] = await store.observations.history("b1", ids["obs"])
            assert history["previous_text"] == "bob is social"

        await asyncio.to_thread(downgrade_sync, provider.url, schema=schema, revision="0001")
        async with schema_connection(provider.url, schema) as conn:
            down = await snapshot(conn)
            indexes_down = await indexes(conn, schema)
            history_table = await conn.fetchval(
                "SELECT to_regclass($1)", f'"{schema}".observation_history'
            )
        assert history_table is None
        assert indexes_down == indexes_before
        assert set(down["memory_units"][0]) == set(before["memory_units"][0])
        assert len(down["memory_units"]) == 3 and down["banks"] == before["banks"]
    finally:
        await drop_schema(provider.url, schema)
