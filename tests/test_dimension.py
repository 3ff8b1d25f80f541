"""The embedding dimension is chosen at migration time and read back from the schema; a
model change (new column, backfill, index, swap) keeps reads up throughout."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from repo.errors import ConfigurationError, ValidationError
from repo.migrations import validate_dim
from repo.models import MemoryIn, RecallQuery
from repo.store import open_store
from schema.tables import FACT_TYPES, metadata_for_dim
from tests.conftest import new_schema, store_on_new_schema
from tests.helpers import embedding, near
from tests.providers import Provider
from tests.tenants import drop_schema, prepare_schema
from tests.test_migrations import schema_diff

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("bad", [0, -1, 2001, "x", "12a", True, 3.0, None])
def test_invalid_dimension_is_a_configuration_error(bad: object) -> None:
    with pytest.raises(ConfigurationError):
        validate_dim(bad)


def test_dimension_digits_are_accepted() -> None:
    assert validate_dim("768") == 768 and validate_dim(1) == 1 and validate_dim(2000) == 2000


def test_metadata_for_a_dimension_changes_only_the_embedding_column() -> None:
    from schema.tables import metadata

    other = metadata_for_dim(768)
    assert other.tables["memory_units"].c.embedding.type.dim == 768  # type: ignore[attr-defined]
    assert metadata.tables["memory_units"].c.embedding.type.dim == 384  # type: ignore[attr-defined]
    assert set(other.tables) == set(metadata.tables)
    for name, table in metadata.tables.items():
        assert {i.name for i in other.tables[name].indexes} == {i.name for i in table.indexes}
    assert metadata_for_dim(384) is metadata


@pytest.mark.integration
async def test_store_reads_the_dimension_of_its_schema(provider: Provider) -> None:
    async with store_on_new_schema(provider, dim=768) as store:
        assert store.dim == 768
        assert await schema_diff(provider.url, store.schema, metadata_for_dim(768)) == []
        await store.banks.create("b")
        target = embedding("t", 768)
        ids = await store.memories.retain(
            "b",
            [MemoryIn(text=f"m{i}", embedding=near(target, i, 0.01 * (i + 1))) for i in range(3)],
        )
        rows = await store.recall.semantic("b", target, fact_type="world", k=3)
        assert [r["id"] for r in rows] == ids
        with pytest.raises(ValidationError, match="expected 768 dimensions, got 384"):
            await store.memories.retain("b", [MemoryIn(text="x", embedding=embedding(1))])
        with pytest.raises(ValidationError):
            await store.recall.recall("b", RecallQuery(embedding=embedding(1)))
        # Reopened without a dimension: the schema's own.
        async with open_store(provider.url, schema=store.schema, max_size=1) as again:
            assert again.dim == 768
        # Asked for another one: a clear error, nothing changed.
        with pytest.raises(ConfigurationError, match="768-dimensional"):
            async with open_store(provider.url, schema=store.schema, dim=384, max_size=1):
                pass


@pytest.mark.integration
async def test_alembic_cli_and_memrepo_cli_take_the_dimension(provider: Provider) -> None:
    schemas = [new_schema(), new_schema()]
    env = {**os.environ, "MEMREPO_URL": provider.url, "MEMREPO_SCHEMA": schemas[0]}
    commands = [
        ([sys.executable, "-m", "alembic", "-x", "dim=512", "upgrade", "head"], env),
        ([sys.executable, "-m", "repo", "migrate", provider.url, "--schema", schemas[1],
          "--dim", "256"], dict(os.environ)),
    ]  # fmt: skip
    try:
        for schema in schemas:
            await prepare_schema(provider.url, schema)
        for cmd, cmd_env in commands:
            done = await asyncio.to_thread(
                subprocess.run, cmd, cwd=ROOT, env=cmd_env, capture_output=True, text=True
            )
            assert done.returncode == 0, done.stderr
        for schema, dim in zip(schemas, (512, 256), strict=True):
            async with open_store(provider.url, schema=schema, max_size=1) as store:
                assert store.dim == dim
            assert await schema_diff(provider.url, schema, metadata_for_dim(dim)) == []
    finally:
        for schema in schemas:
            await drop_schema(provider.url, schema)


def model_change_steps(dim: int) -> dict[str, list[str]]:
    """The PostgreSQL model change of docs/production.md, step by step (run in order)."""
    return {
        "add": [f"ALTER TABLE memory_units ADD COLUMN embedding_next vector({dim})"],
        "index": [
            f"CREATE INDEX CONCURRENTLY ix_memory_units_embedding_next_hnsw_{ft} ON memory_units"
            " USING hnsw (embedding_next vector_cosine_ops) WITH (m = 24, ef_construction = 128)"
            f" WHERE fact_type = '{ft}'"
            for ft in FACT_TYPES
        ],
        "check": [
            "ALTER TABLE memory_units ADD CONSTRAINT ck_memory_units_embedding_next"
            " CHECK (embedding_next IS NOT NULL) NOT VALID",
            "ALTER TABLE memory_units VALIDATE CONSTRAINT ck_memory_units_embedding_next",
        ],
        "swap": [
            "BEGIN",
            "ALTER TABLE memory_units DROP COLUMN embedding",  # and its indexes
            "ALTER TABLE memory_units RENAME COLUMN embedding_next TO embedding",
            "ALTER TABLE memory_units ALTER COLUMN embedding SET NOT NULL",
            "ALTER TABLE memory_units DROP CONSTRAINT ck_memory_units_embedding_next",
            *(
                f"ALTER INDEX ix_memory_units_embedding_next_hnsw_{ft}"
                f" RENAME TO ix_memory_units_embedding_hnsw_{ft}"
                for ft in FACT_TYPES
            ),
            "COMMIT",
        ],
    }


@pytest.mark.integration
@pytest.mark.reliability
async def test_model_change_keeps_reads_up(provider: Provider) -> None:
    """Add a 768-d column, backfill it, index it concurrently, validate: a reader recalling
    all along never fails and always sees every unit. Then the swap: the schema is exactly
    what `migrate(dim=768)` creates and a reopened store recalls with the new model."""
    if provider.backend != "postgresql":
        pytest.skip("the steps are PostgreSQL DDL; docs/production.md gives Oracle's")
    async with store_on_new_schema(provider, max_size=4) as store:
        await store.banks.create("b")
        old_target, new_target = embedding("old"), embedding("new", 768)
        units = [MemoryIn(text=f"m{i}", embedding=near(old_target, i, 0.02)) for i in range(40)]
        ids = await store.memories.retain("b", units)
        new_vectors = {uid: near(new_target, i, 0.01 * (i + 1)) for i, uid in enumerate(ids)}
        steps = model_change_steps(768)
        reads: list[int] = []
        stop = asyncio.Event()

        async def reader() -> None:
            query = RecallQuery(embedding=old_target, k_semantic=40, fact_types=["world"])
            while not stop.is_set():
                result = await store.recall.recall("b", query)
                reads.append(len({r["id"] for r in result.all_rows()}))
                await asyncio.sleep(0)

        task = asyncio.create_task(reader())
        conn = await asyncpg.connect(
            provider.url, server_settings={"search_path": f"{store.schema}, public"}
        )
        try:
            from repo.backends.postgres import encode_vector

            await conn.set_type_codec(
                "vector", schema="public", encoder=encode_vector, decoder=bytes, format="binary"
            )
            for sql in steps["add"]:
                await conn.execute(sql)
            for start in range(0, len(ids), 10):  # backfill in batches
                await conn.executemany(
                    "UPDATE memory_units SET embedding_next = $3 WHERE bank_id = $1 AND id = $2",
                    [("b", uid, new_vectors[uid]) for uid in ids[start : start + 10]],
                )
            for sql in steps["index"] + steps["check"]:
                await conn.execute(sql)
            stop.set()
            await task  # the reader's errors, if any, surface here
            assert reads and set(reads) == {40}
            for sql in steps["swap"]:
                await conn.execute(sql)
        finally:
            stop.set()
            await conn.close()
        # Past the swap the old model's vectors are refused by the database, typed.
        with pytest.raises(ValidationError):
            await store.recall.semantic("b", old_target, fact_type="world", k=5)
        assert await schema_diff(provider.url, store.schema, metadata_for_dim(768)) == []
        async with open_store(provider.url, schema=store.schema, max_size=1) as new:
            assert new.dim == 768
            rows = await new.recall.semantic("b", new_target, fact_type="world", k=5)
            assert [r["id"] for r in rows] == ids[:5]
