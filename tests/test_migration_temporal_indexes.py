"""Revision 0013 (time-window indexes) on a database holding data, occurred ranges whose
end is before their start included (a range index over `tstzrange(start, end)` would
fail on them): the upgrade keeps every row, adds the mention B-tree and the occurred
range's GiST index (skipping one built beforehand under its name), has no drift, the
temporal arm still finds its units; the downgrade brings back exactly 0012's indexes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from repo.migrations import downgrade_sync, migrate
from repo.store import open_store
from tests.conftest import new_schema
from tests.migration_data import T0, indexes, load_0001, schema_connection, snapshot
from tests.providers import Provider
from tests.tenants import drop_schema
from tests.test_migrations import schema_diff

pytestmark = pytest.mark.integration

MENTIONED = "ix_memory_units_bank_mentioned"
OCCURRED = "ix_memory_units_occurred"
RANGE = (
    "tstzrange(occurred_start, GREATEST(occurred_start, COALESCE(occurred_end, "
    "occurred_start)), '[]'::text)"
)
H = timedelta(hours=1)


@pytest.mark.parametrize("built_ahead", [False, True])
async def test_0013_adds_the_time_window_indexes(provider: Provider, built_ahead: bool) -> None:
    if provider.backend != "postgresql":
        pytest.skip("the PostgreSQL half; Oracle's B-trees are compiled in the golden check")
    schema = new_schema()
    try:
        await migrate(provider.url, schema=schema, revision="0001")
        async with schema_connection(provider.url, schema) as conn:
            ids = await load_0001(conn)
            await migrate(provider.url, schema=schema, revision="0012")
            # u1: an end before its start (counts as the start); u2: a mention, no range.
            await conn.execute(
                "UPDATE memory_units SET occurred_start = $2, occurred_end = $3 WHERE id = $1",
                ids["u1"], T0 + 5 * H, T0,
            )  # fmt: skip
            await conn.execute(
                "UPDATE memory_units SET mentioned_at = $2 WHERE id = $1", ids["u2"], T0 + 2 * H
            )
            before, indexes_before = await snapshot(conn), await indexes(conn, schema)
            assert MENTIONED not in indexes_before and OCCURRED not in indexes_before
            if built_ahead:  # as docs/production.md advises for big tables
                await conn.execute(
                    f"CREATE INDEX CONCURRENTLY {MENTIONED} ON memory_units (bank_id, mentioned_at)"
                )
            await migrate(provider.url, schema=schema, revision="0013")
            after, indexes_after = await snapshot(conn), await indexes(conn, schema)

        assert after == before  # every row of every table
        assert indexes_after[MENTIONED].endswith("USING btree (bank_id, mentioned_at)")
        assert (
            f"USING gist ({RANGE}) WHERE (occurred_start IS NOT NULL)" in (indexes_after[OCCURRED])
        ), indexes_after[OCCURRED]
        new = {MENTIONED, OCCURRED}
        assert {n: d for n, d in indexes_after.items() if n not in new} == indexes_before
        await migrate(provider.url, schema=schema)  # any later revisions, on the same rows
        assert await schema_diff(provider.url, schema) == []

        async with open_store(provider.url, schema=schema, run_migrations=False) as store:
            rows = await store.recall.temporal(
                "b1", T0 + 4 * H, T0 + 6 * H, on=["occurred"], spread=0
            )
            assert [r["id"] for r in rows] == [ids["u1"]]
            rows = await store.recall.temporal(
                "b1", T0 + H, T0 + 3 * H, on=["mentioned_at"], spread=0
            )
            assert [r["id"] for r in rows] == [ids["u2"]]

        await asyncio.to_thread(downgrade_sync, provider.url, schema=schema, revision="0012")
        async with schema_connection(provider.url, schema) as conn:
            assert await snapshot(conn) == before
            assert await indexes(conn, schema) == indexes_before
    finally:
        await drop_schema(provider.url, schema)
