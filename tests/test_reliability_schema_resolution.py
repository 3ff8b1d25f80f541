"""Tenant isolation by the database's name resolution: a store's tables resolve in its own
schema only. A schema that is not migrated is a `ConfigurationError` at open (never a
fall-through to `public`'s tables), a table missing from a tenant is an error (never
another schema's table), and schema names the database reserves are rejected.
"""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from repo import migrate
from repo.errors import ConfigurationError, DatabaseError, MemrepoError
from repo.store import open_store
from repo.urls import asyncpg_url
from tests.conftest import new_schema
from tests.providers import Provider
from tests.tenants import drop_schema, prepare_schema

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

#: Schemas of the database itself (PostgreSQL catalogs, Oracle's built-in users).
RESERVED = ["pg_catalog", "pg_temp", "pg_temp_3", "pg_toast", "information_schema", "sys"]
UNREACHABLE = "postgresql://user:pw@127.0.0.1:9/db"


async def public_probe(provider: Provider) -> str:
    """A bank in the `public` store (the connecting user's own schema on Oracle)."""
    await migrate(provider.url, schema="public")
    probe = f"probe-{uuid.uuid4().hex[:12]}"
    async with open_store(provider.url, schema="public", run_migrations=False) as public:
        await public.banks.create(probe, name="public's bank")
    return probe


async def create_empty_schema(provider: Provider, schema: str) -> None:
    await prepare_schema(provider.url, schema)  # Oracle: the tenant user
    if provider.backend == "postgresql":
        conn = await asyncpg.connect(asyncpg_url(provider.url))
        try:
            await conn.execute(f'CREATE SCHEMA "{schema}"')
        finally:
            await conn.close()


async def test_unmigrated_schema_is_a_configuration_error(provider: Provider) -> None:
    """Before: the store opened, and read and wrote `public`'s tables."""
    probe = await public_probe(provider)
    for created in (False, True):
        schema = new_schema()
        if created:
            await create_empty_schema(provider, schema)
        try:
            with pytest.raises(ConfigurationError, match="not migrated") as info:
                async with open_store(provider.url, schema=schema, run_migrations=False) as s:
                    await s.banks.get(probe)  # pragma: no cover - must not get here
            assert "migrate" in str(info.value)
        finally:
            await drop_schema(provider.url, schema)


@pytest.mark.postgresql_only
async def test_table_missing_from_a_tenant_never_resolves_elsewhere(provider: Provider) -> None:
    """A migrated tenant whose `banks` table was dropped: reading it is a database error,
    not `public`'s banks (before: `public`'s bank came back)."""
    if provider.backend != "postgresql":
        pytest.skip("PostgreSQL's search_path")
    probe = await public_probe(provider)
    schema = new_schema()
    try:
        await migrate(provider.url, schema=schema)
        conn = await asyncpg.connect(asyncpg_url(provider.url))
        try:
            await conn.execute(f'DROP TABLE "{schema}".banks CASCADE')
        finally:
            await conn.close()
        async with open_store(provider.url, schema=schema, run_migrations=False) as s:
            with pytest.raises(DatabaseError, match="banks"):
                await s.banks.get(probe)
            with pytest.raises(DatabaseError):
                await s.banks.create(probe)
    finally:
        await drop_schema(provider.url, schema)


@pytest.mark.parametrize("schema", RESERVED)
async def test_reserved_schema_names_are_rejected(schema: str) -> None:
    """Before: they passed validation and the call went on to connect."""
    with pytest.raises(ConfigurationError, match="reserved"):
        async with open_store(UNREACHABLE, schema=schema, run_migrations=False):
            pass  # pragma: no cover
    with pytest.raises(ConfigurationError, match="reserved"):
        await migrate(UNREACHABLE, schema=schema)
    with pytest.raises(MemrepoError):
        await migrate(UNREACHABLE, schema=schema.upper())
