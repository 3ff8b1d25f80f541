"""One Alembic tree for both dialects: no drift after upgrade, reversible, serialised."""

from __future__ import annotations

import ast
import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, pool, text
from sqlalchemy.ext.asyncio import create_async_engine

from repo.migrations import (
    alembic_config,
    comparison_schema,
    comparison_target,
    downgrade_sync,
    include_name_for,
    include_object_for,
    migrate,
    script_location,
)
from repo.urls import backend_name, sqlalchemy_url
from schema.tables import metadata
from tests.conftest import new_schema
from tests.providers import Provider
from tests.tenants import drop_schema, prepare_schema

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = sorted((ROOT / "alembic" / "versions").glob("*.py"))


def _diff(connection: Any, schema: str, dialect: str, target: MetaData) -> list[Any]:
    if dialect == "postgresql":
        connection.execute(text(f'SET search_path TO "{schema}", public'))
    # As alembic/env.py compares: the tenant's own schema only (named unless it is the
    # connection's default), whatever else the search path shows.
    compared = comparison_schema(dialect, schema, connection.dialect.default_schema_name)
    ctx = MigrationContext.configure(
        connection,
        opts={
            "include_object": include_object_for(dialect),
            "include_schemas": compared is not None,
            "include_name": include_name_for(compared),
            "version_table_schema": compared,
            "compare_type": True,
        },
    )
    return list(compare_metadata(ctx, comparison_target(target, compared)))


async def schema_diff(url: str, schema: str, target: MetaData = metadata) -> list[Any]:
    """The differences between a migrated schema and `target` (the metadata)."""
    name = backend_name(url)
    if name == "postgresql":
        engine = create_async_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
        async with engine.connect() as conn:
            diff = await conn.run_sync(_diff, schema, name, target)
        await engine.dispose()
        return diff
    sync_engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)

    def run() -> list[Any]:
        with sync_engine.connect() as conn:
            conn.execute(text(f'ALTER SESSION SET CURRENT_SCHEMA = "{schema.upper()}"'))
            return _diff(conn, schema, name, target)

    try:
        return await asyncio.to_thread(run)
    finally:
        sync_engine.dispose()


@pytest.mark.integration
async def test_upgrade_head_has_no_drift(provider: Provider) -> None:
    schema = new_schema()
    await prepare_schema(provider.url, schema)
    try:
        await migrate(provider.url, schema=schema)
        assert await schema_diff(provider.url, schema) == []
    finally:
        await drop_schema(provider.url, schema)


@pytest.mark.integration
@pytest.mark.reliability
@pytest.mark.parametrize("tenant", [True, False], ids=["tenant", "public"])
async def test_alembic_check_passes_after_a_fresh_upgrade(provider: Provider, tenant: bool) -> None:
    """`alembic check` itself (before: it proposed dropping `alembic_version`, because the
    version table was named by schema while the compared schema was reflected as None)."""
    schema = new_schema() if tenant else "public"
    if tenant:
        await prepare_schema(provider.url, schema)
    try:
        await migrate(provider.url, schema=schema)
        await asyncio.to_thread(command.check, alembic_config(provider.url, schema))
    finally:
        if tenant:
            await drop_schema(provider.url, schema)


@pytest.mark.integration
async def test_stored_text_vector_and_its_index_exist(provider: Provider) -> None:
    """The stored text vector (a generated column outside the metadata) and its GIN index,
    which autogenerate does not compare, in the default configuration (english)."""
    if provider.backend != "postgresql":
        pytest.skip("PostgreSQL's stored tsvector; Oracle has Oracle Text indexes instead")
    import asyncpg

    schema = new_schema()
    try:
        await migrate(provider.url, schema=schema)
        conn = await asyncpg.connect(provider.url)
        try:
            indexdef = await conn.fetchval(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = $2",
                schema,
                "ix_memory_units_search_vector",
            )
            generated = await conn.fetchval(
                "SELECT generation_expression FROM information_schema.columns"
                " WHERE table_schema = $1 AND table_name = 'memory_units'"
                " AND column_name = 'search_vector'",
                schema,
            )
            old = await conn.fetchval(
                "SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND indexname = $2",
                schema,
                "ix_memory_units_text_fts",
            )
        finally:
            await conn.close()
        assert "USING gin (search_vector)" in indexdef
        assert generated.count("'english'::regconfig") == 2 and "context" in generated
        assert old == 0
    finally:
        await drop_schema(provider.url, schema)


@pytest.mark.integration
async def test_downgrade_to_base_and_up_again(provider: Provider) -> None:
    schema = new_schema()
    await prepare_schema(provider.url, schema)
    try:
        await migrate(provider.url, schema=schema)
        await asyncio.to_thread(downgrade_sync, provider.url, schema=schema, revision="base")
        diff = await schema_diff(provider.url, schema)
        added = {d[1].name for d in diff if isinstance(d, tuple) and d[0] == "add_table"}
        assert added == set(metadata.tables)
        await migrate(provider.url, schema=schema)
        assert await schema_diff(provider.url, schema) == []
    finally:
        await drop_schema(provider.url, schema)


@pytest.mark.integration
@pytest.mark.reliability
async def test_concurrent_migrators_serialise(provider: Provider) -> None:
    if provider.backend != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's; Oracle DDL waits on DDL_LOCK_TIMEOUT")
    schema = new_schema()
    cmd = [sys.executable, "-m", "repo", "migrate", provider.url, "--schema", schema]
    try:
        procs = [
            await asyncio.create_subprocess_exec(
                *cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT
            )
            for _ in range(2)
        ]
        outputs = [await p.communicate() for p in procs]
        for proc, (out, _) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, out.decode()
        assert await schema_diff(provider.url, schema) == []
    finally:
        await drop_schema(provider.url, schema)


def _calls(func: ast.FunctionDef) -> set[str]:
    return {
        n.func.id
        for n in ast.walk(func)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }


@pytest.mark.parametrize("path", VERSIONS, ids=[p.stem for p in VERSIONS])
def test_every_revision_routes_through_run_for_dialect(path: Path) -> None:
    tree = ast.parse(path.read_text())
    funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    for name in ("upgrade", "downgrade"):
        assert "run_for_dialect" in _calls(funcs[name]), f"{path.name}: {name}()"
        call = next(
            n for n in ast.walk(funcs[name])
            if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "run_for_dialect"
        )  # fmt: skip
        assert {k.arg for k in call.keywords} == {"pg", "oracle"}
    for half in ("_pg_upgrade", "_pg_downgrade", "_oracle_upgrade", "_oracle_downgrade"):
        assert half in funcs or half not in path.read_text(), f"{path.name}: {half}"


def test_indexes_of_the_other_dialect_are_not_expected() -> None:
    from schema.tables import memory_units

    hnsw = next(i for i in memory_units.indexes if i.name == "ix_memory_units_embedding_hnsw_world")
    plain = next(i for i in memory_units.indexes if i.name == "ix_memory_units_document")
    for index, on_pg, on_oracle in ((hnsw, True, False), (plain, True, True)):
        assert include_object_for("postgresql")(index, index.name, "index", False, None) is on_pg
        assert include_object_for("oracle")(index, index.name, "index", False, None) is on_oracle


def test_script_location_is_the_checkout_tree_here() -> None:
    assert script_location() == ROOT / "alembic"
    assert not (ROOT / "alembic" / "__init__.py").exists()
