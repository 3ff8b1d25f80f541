"""Alembic environment for both dialects.

PostgreSQL: one transaction, serialised by an advisory lock, with the tenant schema
created and first on the search path. Oracle: `CURRENT_SCHEMA` and `DDL_LOCK_TIMEOUT`
set on the session, serialised by a session-level DBMS_LOCK lock per schema (held
across the implicit commits of DDL; repo/oracle_ddl.py). Both commit at the end
(Oracle DDL auto-commits; the `alembic_version` update does not).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from repo.backends.base import validate_schema_name
from repo.connecting import DEFAULT_CONNECT_TIMEOUT, validate_connect_timeout
from repo.migrations import (
    ADVISORY_LOCK_KEY,
    DEFAULT_TEXT_SEARCH_CONFIG,
    comparison_schema,
    comparison_target,
    include_name_for,
    include_object_for,
    validate_dim,
    validate_text_search_config,
)
from repo.oracle_ddl import lock_block, unlock_block
from repo.urls import DatabaseURL
from schema.tables import metadata_for_dim
from schema.types import DEFAULT_EMBEDDING_DIM

config = context.config
URL: str = (
    config.attributes.get("memrepo_url")
    or os.environ.get("MEMREPO_URL")
    or config.get_main_option("sqlalchemy.url")
    or ""
)
if not URL:
    raise SystemExit("set MEMREPO_URL (postgresql://... or oracle://...) to migrate")
SCHEMA = validate_schema_name(
    config.attributes.get("memrepo_schema") or os.environ.get("MEMREPO_SCHEMA", "public")
)
config.attributes["memrepo_schema"] = SCHEMA  # read by `repo.migrations.migration_schema()`
#: The URL parsed once; the engine's URL and the driver's DSN are derived from it.
DB = DatabaseURL.parse(URL)
BACKEND = DB.backend
#: Seconds to wait for the server to accept the migration's connection.
CONNECT_TIMEOUT = validate_connect_timeout(
    float(
        config.attributes.get("memrepo_connect_timeout")
        or os.environ.get("MEMREPO_CONNECT_TIMEOUT")
        or DEFAULT_CONNECT_TIMEOUT
    )
)
#: Embedding dimension of the columns created here: migrate(dim=), `alembic -x dim=N`,
#: MEMREPO_DIM, else 384. Revisions read it through `repo.migrations.embedding_dim()`.
DIM = validate_dim(
    config.attributes.get("memrepo_dim")
    or context.get_x_argument(as_dictionary=True).get("dim")
    or os.environ.get("MEMREPO_DIM")
    or DEFAULT_EMBEDDING_DIM
)
config.attributes["memrepo_dim"] = DIM
#: Full-text configuration of the stored text vectors (revision 0008): migrate(
#: text_search_config=), `alembic -x text_search=NAME`, MEMREPO_TEXT_SEARCH, else english.
config.attributes["memrepo_text_search"] = validate_text_search_config(
    config.attributes.get("memrepo_text_search")
    or context.get_x_argument(as_dictionary=True).get("text_search")
    or os.environ.get("MEMREPO_TEXT_SEARCH")
    or DEFAULT_TEXT_SEARCH_CONFIG
)
#: Seconds an Oracle DDL statement waits for a lock before failing.
ORACLE_DDL_LOCK_TIMEOUT = 30


def _configure(default_schema: str | None = None, **kw: Any) -> None:
    # The tenant is named (version table, compared tables) unless it is the connection's
    # default schema, which Alembic reflects as None: so `alembic check` compares exactly
    # the tenant's tables, and finds its version table where it looks for it.
    schema = comparison_schema(BACKEND, SCHEMA, default_schema)
    context.configure(
        target_metadata=comparison_target(metadata_for_dim(DIM), schema),
        include_object=include_object_for(BACKEND),
        include_schemas=schema is not None,
        include_name=include_name_for(schema),
        version_table_schema=schema,
        compare_type=True,
        **kw,
    )


def _prepare_postgresql(connection: Connection) -> None:
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    connection.execute(text("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public"))
    connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"'))
    connection.execute(text(f'SET LOCAL search_path TO "{SCHEMA}", public'))


def _oracle_session_sql() -> list[str]:
    """Session settings for Oracle migrations (SCHEMA is validated: [a-z_][a-z0-9_]*)."""
    statements = [f"ALTER SESSION SET DDL_LOCK_TIMEOUT = {ORACLE_DDL_LOCK_TIMEOUT}"]
    if SCHEMA != "public":
        statements.append(f'ALTER SESSION SET CURRENT_SCHEMA = "{SCHEMA.upper()}"')
    return statements


def _prepare_oracle(connection: Connection) -> None:
    # Repeated for a connection handed in by the caller (config.attributes["connection"]).
    for statement in _oracle_session_sql():
        connection.execute(text(statement))


def do_run_migrations(connection: Connection) -> None:
    _configure(connection.dialect.default_schema_name, connection=connection)
    if BACKEND == "postgresql":
        with context.begin_transaction():
            _prepare_postgresql(connection)
            context.run_migrations()
        connection.commit()
        return
    with context.begin_transaction():
        _prepare_oracle(connection)
        connection.execute(text(lock_block()))  # one migrator per schema from here on
        try:
            context.run_migrations()
            connection.commit()
        finally:
            connection.execute(text(unlock_block()))
    connection.commit()


async def run_async_migrations() -> None:
    import asyncpg

    dsn = DB.asyncpg_dsn()

    async def connect() -> Any:
        # The pool's DSN, so libpq parameters (sslmode, options, host=/socket...) work here.
        return await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT)

    engine = create_async_engine(
        DB.sqlalchemy_url(), poolclass=pool.NullPool, async_creator=connect
    )
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await engine.dispose()


def run_migrations_online() -> None:
    existing = config.attributes.get("connection")
    if existing is not None:
        do_run_migrations(existing)
    elif BACKEND == "postgresql":
        asyncio.run(run_async_migrations())
    else:
        from sqlalchemy import create_engine, event

        engine = create_engine(
            DB.sqlalchemy_url(),
            poolclass=pool.NullPool,
            connect_args={"tcp_connect_timeout": CONNECT_TIMEOUT},
        )

        # Before SQLAlchemy initialises the dialect on the first connection (insert=True),
        # so its default schema, used by reflection and the drift comparison, is the tenant.
        @event.listens_for(engine, "connect", insert=True)
        def _oracle_session(dbapi_connection: Any, connection_record: Any) -> None:
            cursor = dbapi_connection.cursor()
            try:
                for statement in _oracle_session_sql():
                    cursor.execute(statement)
            finally:
                cursor.close()

        with engine.connect() as connection:
            do_run_migrations(connection)
        engine.dispose()


def run_migrations_offline() -> None:
    """`alembic upgrade --sql`: print the DDL for the URL's dialect without connecting."""
    _configure(
        None,  # no connection: the tenant is named, as the online run names it
        url=DB.sqlalchemy_url(),
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        if BACKEND == "oracle":
            context.execute(lock_block())  # serialises with migrators of the application
        context.run_migrations()
        if BACKEND == "oracle":
            # Oracle DDL commits itself, the alembic_version change does not.
            context.execute("COMMIT")
            context.execute(unlock_block())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
