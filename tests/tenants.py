"""Create and drop tenant schemas on a test database (one per test that needs isolation)."""

from __future__ import annotations

import asyncpg

from repo.backends.base import validate_schema_name
from repo.urls import asyncpg_url, backend_name


async def drop_schema(url: str, schema: str) -> None:
    """Drop a tenant schema and everything in it."""
    validate_schema_name(schema)
    if backend_name(url) == "postgresql":
        conn = await asyncpg.connect(asyncpg_url(url))
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()
    else:
        from tests.oracle_tenants import drop_oracle_schema

        await drop_oracle_schema(url, schema)


async def prepare_schema(url: str, schema: str) -> None:
    """Make sure a tenant schema can be migrated (Oracle: the tenant user must exist)."""
    validate_schema_name(schema)
    if backend_name(url) == "oracle":
        from tests.oracle_tenants import create_oracle_schema

        await create_oracle_schema(url, schema)
