"""Revision 0006 (chunk content hashes) on a database holding data written before it: the
upgrade keeps every row and index and fills each chunk's hash (SHA-256 of its UTF-8 text,
computed here in Python), has no drift, and delta re-ingest then keeps the units of
unchanged chunks; the downgrade removes exactly the column."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from repo.migrations import downgrade_sync, migrate
from repo.models import ChunkIn
from repo.store import open_store
from tests.conftest import new_schema
from tests.helpers import unit
from tests.migration_data import (
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

ACCENTED = "déjà vu, naïve café"


async def test_0006_hashes_existing_chunks(provider: Provider) -> None:
    if provider.backend != "postgresql":
        pytest.skip("the rows are written with PostgreSQL SQL; Oracle's half is golden-filed")
    schema = new_schema()
    try:
        await migrate(provider.url, schema=schema, revision="0001")
        async with schema_connection(provider.url, schema) as conn:
            ids = await load_0001(conn)
            await conn.execute(f"INSERT INTO chunks VALUES ('b1', 'c2', 'd1', 1, '{ACCENTED}')")
            await migrate(provider.url, schema=schema, revision="0005")
            before, indexes_before = await snapshot(conn), await indexes(conn, schema)
            await migrate(provider.url, schema=schema, revision="0006")
            after, indexes_after = await snapshot(conn), await indexes(conn, schema)

        for table in TABLES:
            if table != "chunks":
                assert after[table] == before[table], table
        expected = sorted(
            ({**c, "content_hash": hashlib.sha256(c["text"].encode()).hexdigest()}
             for c in before["chunks"]),
            key=repr,
        )  # fmt: skip
        assert after["chunks"] == expected and len(expected) == 2
        assert indexes_after == indexes_before
        await migrate(provider.url, schema=schema)  # the later revisions, on the same rows
        assert await schema_diff(provider.url, schema) == []

        await asyncio.to_thread(downgrade_sync, provider.url, schema=schema, revision="0005")
        async with schema_connection(provider.url, schema) as conn:
            assert await snapshot(conn) == before
            assert await indexes(conn, schema) == indexes_before

        # At the head again, the hashed chunks count as unchanged: u1 (of c1) stays.
        await migrate(provider.url, schema=schema)
        async with open_store(provider.url, schema=schema, run_migrations=False) as store:
            result = await store.documents.reingest(
                "b1", "d1", "new content",
                chunks=[ChunkIn("c1", "chunk text"), ChunkIn("c2", ACCENTED + "!")],
                units=[unit(1, chunk_id="c1"), unit(2, chunk_id="c2")],
            )  # fmt: skip
            assert result.kept_chunks == ["c1"] and result.replaced_chunks == ["c2"]
            assert result.removed_unit_ids == [] and result.skipped_units == 1
            kept = await store.memories.get("b1", [ids["u1"]])
            assert [r["chunk_id"] for r in kept] == ["c1"]
    finally:
        await drop_schema(provider.url, schema)
