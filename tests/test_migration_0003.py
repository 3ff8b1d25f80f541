"""Revision 0003 (bank-scoped keys) upgrades a database that holds data written before it:
same-bank rows survive, rows that crossed banks are removed, and `alembic check` finds no
drift."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command

from repo.errors import ConflictError
from repo.migrations import alembic_config, migrate
from repo.models import LinkIn
from repo.sql import Statement
from repo.store import Store, connect_backend
from schema.tables import async_operations, memory_links
from tests.conftest import new_schema
from tests.helpers import unit
from tests.inspection import bank_row_counts
from tests.providers import Provider
from tests.tenants import drop_schema, prepare_schema
from tests.test_migrations import schema_diff

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

#: A link row written as 0002 allowed it (its keys do not include bank_id).
RAW_LINK = Statement(
    "test.raw_link_insert",
    sa.insert(memory_links).values(
        {c.name: sa.bindparam(c.name, type_=c.type) for c in memory_links.c}
    ),
    register=False,
)

#: An operation as 0002 stores it (today's `submit` writes a column of 0007).
RAW_OPERATION = Statement(
    "test.raw_operation_insert",
    sa.insert(async_operations).values(
        {
            c.name: sa.bindparam(c.name, type_=c.type)
            for c in async_operations.c
            if c.name != "unfinished_children"
        }
    ),
    register=False,
)

#: Tables added by revisions after 0003 (0005).
LATER = frozenset({"entity_cooccurrences", "bank_stat_deltas"})


async def test_upgrade_to_0003_keeps_bank_rows_and_drops_cross_bank_ones(
    provider: Provider,
) -> None:
    schema = new_schema()
    await prepare_schema(provider.url, schema)
    try:
        await migrate(provider.url, schema=schema, revision="0002")
        old = Store(await connect_backend(provider.url, schema=schema), provider.url)
        try:
            for bank in ("a", "b"):
                await old.banks.create(bank)
            a1, a2 = uuid.uuid4(), uuid.uuid4()
            # One entity per unit: today's retain counts entity pairs in a table of 0005.
            await old.memories.retain(
                "a",
                [unit(1, id=a1, entities=["Ada"]), unit(2, id=a2, entities=["Ada"])],
                [LinkIn(a1, a2, "semantic", 0.5)],
            )
            [b1] = await old.memories.retain("b", [unit(3, entities=["Ada"])])
            # 0002 accepted a link from bank a into bank b, and one filed under the wrong bank.
            a3 = uuid.uuid4()
            await old.memories.retain("a", [unit(4, id=a3)], [LinkIn(a3, b1, "semantic", 1.0)])
            now = datetime.now(UTC)
            await old.backend.execute(RAW_LINK, {
                "from_unit_id": b1, "to_unit_id": b1, "link_type": "causal", "bank_id": "a",
                "weight": 1.0, "created_at": now,
            })  # fmt: skip
            parent = uuid.uuid4()
            for op_id, parent_id in ((parent, None), (uuid.uuid4(), parent)):
                await old.backend.execute(RAW_OPERATION, {
                    "id": op_id, "bank_id": "a", "operation_type": "op", "status": "pending",
                    "payload": None, "result": None, "error_message": None, "attempts": 0,
                    "max_attempts": 3, "next_attempt_at": now, "parent_id": parent_id,
                    "claimed_by": None, "claimed_at": None, "completed_at": None,
                    "created_at": now, "updated_at": now,
                })  # fmt: skip
            before = {bank: await bank_row_counts(old, bank, skip=LATER) for bank in ("a", "b")}
        finally:
            await old.close()
        assert before["a"]["memory_links"] == 3

        await migrate(provider.url, schema=schema)
        assert await schema_diff(provider.url, schema) == []
        await asyncio.to_thread(command.check, alembic_config(provider.url, schema))

        new = Store(await connect_backend(provider.url, schema=schema), provider.url)
        try:
            after = {bank: await bank_row_counts(new, bank, skip=LATER) for bank in ("a", "b")}
            assert after["b"] == before["b"]
            assert after["a"] == {**before["a"], "memory_links": 1}
            [kept] = await new.links.outgoing("a", [a1, a3, b1])
            assert (kept["from_unit_id"], kept["to_unit_id"]) == (a1, a2)
            with pytest.raises(ConflictError):
                await new.memories.add_links("a", [LinkIn(a1, b1, "semantic", 1.0)])
            ada = await new.entities.by_name("a", "ada")
            assert {u["id"] for u in await new.entities.units("a", ada["id"])} == {a1, a2}
        finally:
            await new.close()
    finally:
        await drop_schema(provider.url, schema)


def test_oracle_half_renders_resumable_ddl(capsys: pytest.CaptureFixture[str]) -> None:
    """The Oracle upgrade, rendered offline: every DDL statement sits in a block that skips
    work an interrupted run already did, and cross-bank rows are deleted before the keys."""
    from repo.oracle_ddl import lock_block, unlock_block

    command.upgrade(alembic_config("oracle://u:p@h:1521/FREEPDB1"), "0002:0003", sql=True)
    sql = capsys.readouterr().out
    body = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
    statements = [s.strip() for s in body.split("\n/\n") if s.strip()]
    assert (statements[0], statements[-1]) == (lock_block(), unlock_block())  # migrators' lock
    statements = statements[1:-1]
    ddl = [s for s in statements if "EXECUTE IMMEDIATE" in s]
    assert len(ddl) == len(statements) - 9  # 7 cross-bank deletes, version update, COMMIT
    assert all(s.startswith("BEGIN EXECUTE IMMEDIATE '") for s in ddl)
    assert all("WHEN OTHERS THEN IF SQLCODE NOT IN (" in s for s in ddl)
    first_new_key = sql.index("ADD CONSTRAINT pk_memory_units")
    assert sql.rindex("DELETE FROM memory_links") < first_new_key
    assert sql.count("REFERENCES memory_units (bank_id, id) ON DELETE CASCADE") == 5
