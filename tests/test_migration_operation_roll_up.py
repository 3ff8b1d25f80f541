"""Revision 0007 (parents roll up from their children) on a queue written before it: every
other row unchanged, pending parents with unfinished children `waiting` with the right
counter, pending parents whose children all finished rolled up, held and finished
parents untouched; no drift; the waiting parent then rolls up from its last child; the
downgrade makes waiting parents pending (claimable) again and removes the column."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from alembic import command

from repo.migrations import alembic_config, downgrade_sync, migrate
from repo.models import OperationIn
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

INSERT = (
    "INSERT INTO async_operations (id, bank_id, operation_type, status, payload, result,"
    " error_message, attempts, max_attempts, next_attempt_at, parent_id, claimed_by,"
    " claimed_at, completed_at, created_at, updated_at)"
    " VALUES ($1, 'b1', $2, $3, NULL, NULL, NULL, $4, 3, $5, $6, $7, $8, $9, $5, $5)"
)


async def _queue(conn: asyncpg.Connection) -> dict[str, uuid.UUID]:
    """Trees in every state 0006 can hold, written with plain SQL."""
    ids: dict[str, uuid.UUID] = {}

    async def op(name: str, status: str, parent: str | None = None, lease: int = 5) -> None:
        ids[name] = uuid.uuid4()
        held = status == "processing"
        done = T0 if status in ("completed", "failed") else None
        await conn.execute(
            INSERT, ids[name], name, status, int(held or done is not None),
            T0 + timedelta(days=lease if held else 0), ids[parent] if parent else None,
            "w" if held else None, T0 if held else None, done,
        )  # fmt: skip

    await op("open", "pending")  # children pending, processing and completed
    for name, status in (("open.1", "pending"), ("open.2", "processing"), ("open.3", "completed")):
        await op(name, status, "open")
    await op("done", "pending")  # every child completed
    for name in ("done.1", "done.2"):
        await op(name, "completed", "done")
    await op("broken", "pending")  # a child failed
    await op("broken.1", "completed", "broken")
    await op("broken.2", "failed", "broken")
    await op("held", "processing", lease=10**6)  # a worker holds the parent itself
    await op("held.1", "pending", "held")
    await op("finished", "completed")
    await op("finished.1", "completed", "finished")
    await op("alone", "pending")
    return ids


def _by_type(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["operation_type"]: r for r in rows}


async def test_0007_rolls_up_the_queued_parents(provider: Provider) -> None:
    if provider.backend != "postgresql":
        pytest.skip("the rows are written with PostgreSQL SQL; Oracle's half is golden-filed")
    schema = new_schema()
    try:
        await migrate(provider.url, schema=schema, revision="0001")
        async with schema_connection(provider.url, schema) as conn:
            await load_0001(conn)
            await migrate(provider.url, schema=schema, revision="0006")
            ids = await _queue(conn)
            before, indexes_before = await snapshot(conn), await indexes(conn, schema)
            await migrate(provider.url, schema=schema, revision="0007")
            after, indexes_after = await snapshot(conn), await indexes(conn, schema)

        for table in TABLES:
            if table != "async_operations":
                assert after[table] == before[table], table
        assert indexes_after == indexes_before
        old, new = _by_type(before["async_operations"]), _by_type(after["async_operations"])
        assert set(new) == set(old)
        changed = {"open", "done", "broken"}
        for name in set(old) - changed:  # children, held and finished parents, the rest
            assert new[name] == {**old[name], "unfinished_children": 0}, name
        assert new["open"] == {**old["open"], "status": "waiting", "unfinished_children": 2}
        for name, status in (("done", "completed"), ("broken", "failed")):
            row = new[name]
            assert (row["status"], row["unfinished_children"]) == (status, 0), name
            assert row["completed_at"] is not None and row["completed_at"] == row["updated_at"]
            unchanged = {k: v for k, v in row.items() if k not in ("status", "error_message",
                         "completed_at", "updated_at", "unfinished_children")}  # fmt: skip
            assert unchanged == {k: old[name][k] for k in unchanged}
        assert new["done"]["error_message"] is None
        assert new["broken"]["error_message"] == "a child operation failed"
        await migrate(provider.url, schema=schema)  # the later revisions, on the same rows
        assert await schema_diff(provider.url, schema) == []
        await asyncio.to_thread(command.check, alembic_config(provider.url, schema))

        # At 0007 the waiting parent rolls up from its children still unfinished (the
        # processing one's 0006 lease is over); a parent a worker holds stays its own.
        async with open_store(provider.url, schema=schema, run_migrations=False) as store:
            claimed = {r["operation_type"]: r for r in await store.operations.claim("w2", 10)}
            assert set(claimed) == {"open.1", "open.2", "held.1", "alone", "retain"}
            for row in claimed.values():
                await store.operations.complete(
                    row["bank_id"], row["id"], "w2", attempt=row["attempts"]
                )
            parent = await store.operations.get("b1", ids["open"])
            assert (parent["status"], parent["unfinished_children"]) == ("completed", 0)
            assert (await store.operations.get("b1", ids["held"]))["status"] == "processing"
            tree = OperationIn("fresh", children=[OperationIn("fresh.1")])
            await store.operations.submit("b1", tree)  # waiting at the downgrade

        await asyncio.to_thread(downgrade_sync, provider.url, schema=schema, revision="0006")
        async with schema_connection(provider.url, schema) as conn:
            assert await indexes(conn, schema) == indexes_before
            down = _by_type([dict(r) for r in await conn.fetch("SELECT * FROM async_operations")])
            assert set(down) == {*old, "fresh", "fresh.1"}
            assert "unfinished_children" not in down["alone"]
            assert down["finished"] == old["finished"]
            assert (down["fresh"]["status"], down["fresh.1"]["status"]) == ("pending", "pending")
            await conn.execute(  # 0006's check accepts its four states again, not `waiting`
                "UPDATE async_operations SET status = 'pending' WHERE operation_type = 'done'"
            )
            with pytest.raises(asyncpg.CheckViolationError):
                await conn.execute("UPDATE async_operations SET status = 'waiting'")
    finally:
        await drop_schema(provider.url, schema)


def test_oracle_half_renders_resumable_ddl(capsys: pytest.CaptureFixture[str]) -> None:
    """The Oracle upgrade and downgrade, rendered offline: every DDL statement sits in a
    block that skips work an interrupted run already did (its quotes doubled inside the
    block), and the data statements run after the upgrade's DDL, before the downgrade's."""
    url = "oracle://u:p@h:1521/FREEPDB1"
    for verb, revisions, first_ddl in (
        (command.upgrade, "0006:0007", "ADD unfinished_children INTEGER DEFAULT 0 NOT NULL"),
        (command.downgrade, "0007:0006", "DROP CONSTRAINT ck_async_operations_unfinished"),
    ):
        verb(alembic_config(url), revisions, sql=True)
        sql = capsys.readouterr().out
        body = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
        statements = [s.strip() for s in body.split("\n/\n") if s.strip()][1:-1]  # no lock
        ddl = [s for s in statements if "ALTER TABLE" in s]
        assert len(ddl) == 4 and ddl[0].count(first_ddl) == 1
        assert all(s.startswith("BEGIN EXECUTE IMMEDIATE '") for s in ddl)
        assert all("WHEN OTHERS THEN IF SQLCODE NOT IN (" in s for s in ddl)
        assert "''pending''" in "".join(ddl)  # the status check, quotes doubled
        data = [i for i, s in enumerate(statements) if s.startswith("UPDATE async_operations")]
        ddl_at = [statements.index(s) for s in ddl]
        assert data and (
            min(data) > max(ddl_at) if verb is command.upgrade else max(data) < min(ddl_at)
        )
