"""The public entry point: `async with open_store(url) as store: ...`."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

from repo.backends.base import Backend, PoolStats, validate_schema_name
from repo.connecting import DEFAULT_CONNECT_TIMEOUT, validate_connect_timeout
from repo.errors import ConfigurationError, ValidationError
from repo.maintenance import DEFAULT_TIMEOUT, MaintenanceReport, check_maintenance
from repo.migrations import migrate, validate_dim, validate_text_search_config
from repo.models import VectorSearch
from repo.repositories import (
    BankRepository,
    ConsolidationRepository,
    DocumentRepository,
    EntityRepository,
    LinkRepository,
    MemoryRepository,
    ObservationRepository,
    OperationRepository,
    RecallRepository,
)
from repo.revision import check_schema_revision
from repo.telemetry import instrument, register_pool_metrics, unregister_pool_metrics
from repo.urls import DatabaseURL
from repo.vector_search import pick_accuracy, target_accuracy, vector_search_settings
from schema.types import DEFAULT_EMBEDDING_DIM


@dataclass
class Store:
    """The repositories over one backend and tenant schema."""

    backend: Backend
    url: str
    dim: int = DEFAULT_EMBEDDING_DIM
    banks: BankRepository = field(init=False)
    consolidation: ConsolidationRepository = field(init=False)
    documents: DocumentRepository = field(init=False)
    entities: EntityRepository = field(init=False)
    links: LinkRepository = field(init=False)
    memories: MemoryRepository = field(init=False)
    observations: ObservationRepository = field(init=False)
    operations: OperationRepository = field(init=False)
    recall: RecallRepository = field(init=False)

    def __post_init__(self) -> None:
        # Traced and logged when opentelemetry-api is installed or `memrepo` logs DEBUG.
        db, dim = instrument(self.backend), self.dim
        self.banks = BankRepository(db, dim=dim)
        self.consolidation = ConsolidationRepository(db, dim=dim)
        self.documents = DocumentRepository(db, dim=dim)
        self.entities = EntityRepository(db, dim=dim)
        self.links = LinkRepository(db, dim=dim)
        self.memories = MemoryRepository(db, dim=dim)
        self.observations = ObservationRepository(db, dim=dim)
        self.operations = OperationRepository(db, dim=dim)
        self.recall = RecallRepository(db, dim=dim)

    @property
    def schema(self) -> str:
        return self.backend.schema

    def transaction(self) -> AbstractAsyncContextManager[None]:
        """Group repository calls into one transaction (nested calls use savepoints)."""
        return self.backend.transaction()

    def tenant(self, schema: str) -> Store:
        """The store of another tenant schema on the same pool. Statements are shared, not
        compiled again; the schema is set per statement or with `BEGIN` (PostgreSQL), or
        as the session's `current_schema` on each acquire (Oracle). The
        tenant's schema must be migrated (`migrate(url, schema=...)`) and have this
        store's embedding dimension. Closing it leaves the pool open."""
        validate_schema_name(schema)
        return Store(self.backend.for_schema(schema), self.url, dim=self.dim)

    def using(self, conn: Any) -> AbstractAsyncContextManager[None]:
        """Run the block's repository calls on the application's connection, inside the
        transaction the application opened on it, so its rows and memrepo's commit or
        roll back together (`store.transaction()` inside is a savepoint). PostgreSQL: an
        asyncpg connection inside a transaction; Oracle: a python-oracledb async
        connection with autocommit off."""
        return self.backend.using(conn)

    def pool_stats(self) -> PoolStats:
        """The connection pool's size, connections in use and callers waiting."""
        return self.backend.pool_stats()

    async def maintain_vector_index(self) -> str:
        """Build the vector index from the rows present: call it after the first load and
        after large loads. Oracle (IVF): "empty" (no rows, nothing done), "created" or
        "rebuilt"; PostgreSQL (HNSW): "not-needed". Recall is correct before it (an exact
        search backs up an approximate one that comes back short)."""
        return await self.backend.maintain_vector_index()

    async def maintain(
        self,
        *,
        tables: Sequence[str] | None = None,
        reindex: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> MaintenanceReport:
        """Maintain the store's tables (every bank's rows live in them): PostgreSQL
        `VACUUM (ANALYZE)` per table (dead rows out of the heap and of the HNSW index,
        fresh planner statistics), `reindex=True` also rebuilds each vector index
        concurrently; Oracle gathers optimizer statistics, `reindex=True` rebuilds the
        vector index. `tables`: a subset (default all); each statement ends within
        `timeout` seconds (`StatementTimeoutError`). Not inside a transaction
        (`ConfigurationError`). When to run it: docs/production.md."""
        names = check_maintenance(tables, timeout)
        if not isinstance(reindex, bool):
            raise ValidationError("reindex", "must be a bool")
        started = time.perf_counter()
        statements = await self.backend.maintain(names, reindex=reindex, timeout=float(timeout))
        return MaintenanceReport(tuple(statements), time.perf_counter() - started)

    async def close(self) -> None:
        unregister_pool_metrics(self.backend)
        await self.backend.close()


async def connect_backend(
    url: str,
    *,
    schema: str = "public",
    min_size: int = 1,
    max_size: int = 10,
    statement_timeout_ms: int | None = None,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    settings_per_transaction: bool = False,
    statement_cache_size: int | None = None,
    read_urls: Sequence[str] = (),
    vector_search: VectorSearch | None = None,
) -> Backend:
    """Open the backend a URL names (`postgresql://...` or `oracle://...`), with read
    replicas at `read_urls` (PostgreSQL)."""
    validate_schema_name(schema)
    db = DatabaseURL.parse(url)
    knobs = vector_search_settings(vector_search)
    accuracy = target_accuracy(vector_search)
    if db.backend == "postgresql":
        pick_accuracy(accuracy, None, supported=False)
        from repo.backends.postgres import PostgresBackend

        async def connect(target: str, least: int) -> PostgresBackend:
            return await PostgresBackend.connect(
                DatabaseURL.parse(target).asyncpg_dsn(),
                schema=schema,
                min_size=least,
                max_size=max_size,
                statement_timeout_ms=statement_timeout_ms,
                connect_timeout=connect_timeout,
                settings_per_transaction=settings_per_transaction,
                statement_cache_size=statement_cache_size,
                server_settings=knobs,
            )

        primary = await connect(url, min_size)
        try:
            # No connection opened yet: a replica that is down does not stop the store.
            primary.attach_replicas([await connect(u, 0) for u in read_urls])
        except BaseException:
            await primary.close()
            raise
        return primary
    if settings_per_transaction or statement_cache_size is not None or read_urls or knobs:
        raise ConfigurationError(
            "settings_per_transaction, statement_cache_size, read_url and vector_search's"
            " ef_search, iterative_scan and max_scan_tuples are PostgreSQL options"
        )
    from repo.backends.oracle import OracleBackend

    return await OracleBackend.connect(
        url,
        schema=schema,
        min_size=min_size,
        max_size=max_size,
        statement_timeout_ms=statement_timeout_ms,
        connect_timeout=connect_timeout,
        target_accuracy=accuracy,
    )


def backend_on_pool(
    pool: Any,
    *,
    schema: str = "public",
    statement_timeout_ms: int | None = None,
    settings_per_transaction: bool = False,
    vector_search: VectorSearch | None = None,
) -> Backend:
    """The backend for a pool the application created: an `asyncpg.Pool` or a
    python-oracledb `AsyncConnectionPool`."""
    import asyncpg

    validate_schema_name(schema)
    knobs = vector_search_settings(vector_search)
    accuracy = target_accuracy(vector_search)
    if isinstance(pool, asyncpg.Pool):
        pick_accuracy(accuracy, None, supported=False)
        from repo.backends.postgres import PostgresBackend

        return PostgresBackend.from_pool(
            pool,
            schema=schema,
            statement_timeout_ms=statement_timeout_ms,
            settings_per_transaction=settings_per_transaction,
            server_settings=knobs,
        )
    import oracledb

    if not isinstance(pool, oracledb.AsyncConnectionPool):
        raise ConfigurationError(
            f"pool= takes an asyncpg.Pool or an oracledb.AsyncConnectionPool, not {pool!r}"
        )
    if settings_per_transaction or statement_timeout_ms is not None or knobs:
        raise ConfigurationError(
            "vector_search's ef_search, iterative_scan and max_scan_tuples are PostgreSQL"
            " options;"
            " on an application's Oracle pool, set call_timeout on its sessions yourself;"
            " settings_per_transaction is a PostgreSQL option"
        )
    from repo.backends.oracle import OracleBackend

    return OracleBackend.from_pool(pool, schema=schema, target_accuracy=accuracy)


async def schema_dimension(backend: Backend, expected: int | None = None) -> int:
    """The embedding dimension of the backend's schema (384 before it is migrated)."""
    found = await backend.vector_dimension("memory_units", "embedding")
    if expected is not None and found is not None and found != expected:
        raise ConfigurationError(
            f"schema {backend.schema!r} stores {found}-dimensional embeddings, not {expected}:"
            " changing models is a data migration (see docs/production.md)"
        )
    return found or expected or DEFAULT_EMBEDDING_DIM


@contextlib.asynccontextmanager
async def open_store(
    url: str | None = None,
    *,
    schema: str = "public",
    run_migrations: bool = True,
    min_size: int = 1,
    max_size: int = 10,
    statement_timeout_ms: int | None = None,
    dim: int | None = None,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    settings_per_transaction: bool = False,
    statement_cache_size: int | None = None,
    pool: Any = None,
    read_url: str | Sequence[str] | None = None,
    vector_search: VectorSearch | None = None,
    text_search_config: str | None = None,
) -> AsyncIterator[Store]:
    """Open a store on `url`, or on the embedded PostgreSQL when `url` is None.

    Migrations run first (`run_migrations=False` to skip; the schema must then be
    migrated already); the pool closes on exit. The embedding dimension is read from the
    schema; `dim` is the dimension a schema created by these migrations gets, and an
    existing schema of another dimension is an error. `connect_timeout` (seconds) bounds
    each wait for the server to accept a connection. Every failure is a `MemrepoError`
    whose message says what to do (`ConfigurationError`, `DatabaseUnreachableError`...).

    Behind PgBouncer in transaction mode: `settings_per_transaction=True` (no session
    state between transactions) and, before PgBouncer 1.21 or without its
    `max_prepared_statements`, `statement_cache_size=0`. `pool`: an asyncpg pool the
    application created and closes, `asyncpg.Pool` or `oracledb.AsyncConnectionPool`
    (`url`, if given, is used for migrations only).

    `read_url`: one or more streaming replicas (PostgreSQL). Reads outside a transaction
    (recall, list, get, counts) go to them in turn; writes and everything inside
    `store.transaction()` go to `url`. A replica that fails is warned about
    (`ReplicaFallbackWarning`) and the read runs on the primary. Replicas lag: a read
    outside a transaction may not see a write just made (docs/production.md).

    `text_search_config`: the full-text language of a schema these migrations create
    (`english` by default; `simple` for text in other languages: no stemming, no stop
    words); a schema keeps the one it was migrated with, and its queries always use it.

    `vector_search`: the vector index's knobs for every connection (PostgreSQL; default
    `ef_search=200`, `iterative_scan="strict_order"`; Oracle: `target_accuracy` alone),
    overridable per recall (`RecallQuery.vector_search`); a bad knob is a
    `ValidationError` before connecting, the other dialect's knob a `ConfigurationError`.
    """
    vector_search_settings(vector_search)
    if text_search_config is not None:
        validate_text_search_config(text_search_config)
    read_urls = [read_url] if isinstance(read_url, str) else list(read_url or ())
    if pool is not None:
        if read_urls:
            raise ConfigurationError("read_url needs a URL-opened store, not pool=")
        if url is not None and run_migrations:
            await migrate(
                url, schema=schema, dim=dim, connect_timeout=connect_timeout,
                text_search_config=text_search_config,
            )  # fmt: skip
        backend: Backend = backend_on_pool(
            pool,
            schema=schema,
            statement_timeout_ms=statement_timeout_ms,
            settings_per_transaction=settings_per_transaction,
            vector_search=vector_search,
        )
        migrated = url is not None and run_migrations
        async with _opened(backend, url or "", dim, check=not migrated) as store:
            yield store
        return
    if url is None:
        from repo.embedded import embedded_url

        url = embedded_url()
    DatabaseURL.parse(url)
    validate_schema_name(schema)
    validate_connect_timeout(connect_timeout)
    if dim is not None:
        validate_dim(dim)
    if run_migrations:
        await migrate(
            url, schema=schema, dim=dim, connect_timeout=connect_timeout,
            text_search_config=text_search_config,
        )  # fmt: skip
    backend = await connect_backend(
        url,
        schema=schema,
        min_size=min_size,
        max_size=max_size,
        statement_timeout_ms=statement_timeout_ms,
        connect_timeout=connect_timeout,
        settings_per_transaction=settings_per_transaction,
        statement_cache_size=statement_cache_size,
        read_urls=read_urls,
        vector_search=vector_search,
    )
    async with _opened(backend, url, dim, check=not run_migrations) as store:
        yield store


@contextlib.asynccontextmanager
async def _opened(
    backend: Backend, url: str, dim: int | None, *, check: bool
) -> AsyncIterator[Store]:
    """The store on an open backend, closed (with its pool, if it owns one) on exit.
    `check`: migrations did not run here, so the schema's revision is checked."""
    try:
        if check:
            await check_schema_revision(backend)
        store = Store(backend, url, dim=await schema_dimension(backend, dim))
        register_pool_metrics(backend)
    except BaseException:
        await backend.close()
        raise
    try:
        yield store
    finally:
        await store.close()
