"""The benchmark's server and its cached synthetic bank.

The bank is loaded once, through the library (`store.memories.retain` in batches, then
`store.observations.create`), into a schema named after the data it holds
(`bench_n10000_s42_g1`); a `bench_info` row written last marks it complete, so the
next run with the same `--items` and `--seed` reuses it. The HNSW index is dropped
during the load and rebuilt afterwards (one bulk build instead of 10,000 inserts).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg

from repo.backends.base import validate_schema_name
from repo.backends.postgres.session import BASE_SETTINGS
from repo.bench.data import BankSpec, SyntheticBank
from repo.bench.progress import Progress
from repo.migrations import migrate
from repo.store import open_store
from repo.urls import asyncpg_url
from schema.tables import VECTOR_INDEXES

if TYPE_CHECKING:
    from typing import TypeAlias

    from asyncpg.pool import PoolConnectionProxy

    AnyConnection: TypeAlias = asyncpg.Connection[Any] | PoolConnectionProxy[Any]

BANK_ID = "bench"
#: The HNSW indexes, one per fact type (each semantic arm's own; revision 0009).
HNSW_INDEXES = tuple(VECTOR_INDEXES.values())
#: The prefix of every HNSW index's name.
HNSW_INDEX = "ix_memory_units_embedding_hnsw"
TEXT_INDEX = "ix_memory_units_search_vector"
LOAD_BATCH = 2000
#: Memory for an HNSW build per row (384-d vector + graph, with room to spare): the build
#: runs in memory when the graph fits. Parallel builds put it in shared memory.
INDEX_BUILD_BYTES_PER_ROW = 4096


@dataclass
class BenchServer:
    """Where the benchmark runs: the embedded PostgreSQL (own data dir) or a given URL."""

    url: str
    kind: str
    data_dir: Path | None = None

    @classmethod
    def open(
        cls, url: str | None, data_dir: Path | None, settings: dict[str, str] | None = None
    ) -> BenchServer:
        """`settings` configure the embedded server (e.g. `shared_buffers`); a URL's server
        is used as it is."""
        if url:
            return cls(url, "url")
        from repo.embedded import EmbeddedPostgres

        server = EmbeddedPostgres(data_dir, settings=settings)
        return cls(server.url, "embedded", server.data_dir)

    @property
    def dsn(self) -> str:
        return asyncpg_url(self.url)


def session_settings(schema: str) -> dict[str, str]:
    """The session settings memrepo's PostgreSQL backend sets (see `PostgresBackend.connect`);
    every variant uses the same, so they run the same plans and return the same rows."""
    return {"search_path": f'"{schema}", public', **BASE_SETTINGS}


@dataclass
class LoadInfo:
    schema: str
    bank_id: str
    cached: bool
    load_s: float | None
    index_build_s: float | None
    rows: dict[str, int]


async def _read_info(conn: asyncpg.Connection, schema: str) -> dict[str, Any] | None:
    try:
        raw = await conn.fetchval(f'SELECT value FROM "{schema}".bench_info WHERE key = $1', "bank")
    except (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError):
        return None
    return None if raw is None else dict(json.loads(raw))


async def table_counts(conn: asyncpg.Connection, schema: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for table in ("memory_units", "entities", "unit_entities", "memory_links"):
        out[table] = int(await conn.fetchval(f'SELECT count(*) FROM "{schema}".{table}'))
    return out


async def index_definition(conn: AnyConnection, schema: str, name: str) -> str | None:
    value = await conn.fetchval(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = $2", schema, name
    )
    return None if value is None else str(value)


async def hnsw_definitions(conn: AnyConnection, schema: str) -> list[str]:
    """The CREATE INDEX statements of the HNSW indexes (an error if one is missing)."""
    out = []
    for name in HNSW_INDEXES:
        definition = await index_definition(conn, schema, name)
        if definition is None:
            raise RuntimeError(f"{name} missing from schema {schema!r} after migration")
        out.append(definition)
    return out


async def drop_hnsw(conn: AnyConnection, schema: str) -> None:
    for name in HNSW_INDEXES:
        await conn.execute(f'DROP INDEX "{schema}".{name}')


async def build_index(conn: AnyConnection, definitions: Sequence[str], rows: int) -> float:
    """Run CREATE INDEX statements with `maintenance_work_mem` sized for `rows`; their
    seconds."""
    mem_mb = min(max(64, rows * INDEX_BUILD_BYTES_PER_ROW // 2**20), 1024)
    await conn.execute(f"SET maintenance_work_mem = '{mem_mb}MB'")
    t0 = time.perf_counter()
    for definition in definitions:
        await conn.execute(definition)
    return time.perf_counter() - t0


async def ensure_bank(
    server: BenchServer,
    spec: BankSpec,
    *,
    schema: str | None = None,
    reload: bool = False,
    progress: bool = True,
) -> LoadInfo:
    """The schema holding the bank for `spec`, loading it first unless a complete copy exists."""
    schema = validate_schema_name(schema or f"bench_{spec.key}")
    conn = await asyncpg.connect(server.dsn)
    try:
        info = await _read_info(conn, schema)
        if info is not None and not reload and info.get("complete"):
            # A bank cached by an older version: bring its schema to the current revision
            # (a no-op when it is current).
            await migrate(server.url, schema=schema)
            return LoadInfo(
                schema,
                BANK_ID,
                True,
                info.get("load_s"),
                info.get("index_build_s"),
                await table_counts(conn, schema),
            )
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()

    t0 = time.perf_counter()
    await migrate(server.url, schema=schema)
    bank = SyntheticBank(spec)
    conn = await asyncpg.connect(server.dsn)
    try:
        definition = await hnsw_definitions(conn, schema)
        await drop_hnsw(conn, schema)
        async with open_store(server.url, schema=schema, run_migrations=False) as store:
            await store.banks.create(BANK_ID, "synthetic benchmark bank", {"spec": repr(spec)})
            with Progress(
                spec.items, f"load {spec.items} units", enabled=progress, unit="unit"
            ) as bar:
                for units, links in bank.batches(LOAD_BATCH):
                    await store.memories.retain(BANK_ID, units, links)
                    bar.update(len(units))
            with Progress(spec.observations, "observations", enabled=progress) as bar:
                for j in range(spec.observations):
                    text, embedding, sources = bank.observation(j)
                    await store.observations.create(BANK_ID, text, embedding, sources)
                    bar.update()
        index_s = await build_index(conn, definition, spec.items)
        # The steady state autovacuum reaches: statistics, and a visibility map that
        # makes index-only scans (e.g. unit_entities by entity) cheap.
        for table in ("memory_units", "entities", "unit_entities", "memory_links"):
            await conn.execute(f'VACUUM (ANALYZE) "{schema}".{table}')
        load_s = time.perf_counter() - t0
        await conn.execute(
            f'CREATE TABLE "{schema}".bench_info (key text PRIMARY KEY, value jsonb NOT NULL)'
        )
        value = {
            "complete": True,
            "items": spec.items,
            "seed": spec.seed,
            "key": spec.key,
            "load_s": load_s,
            "index_build_s": index_s,
        }
        await conn.execute(
            f'INSERT INTO "{schema}".bench_info VALUES ($1, $2::jsonb)', "bank", json.dumps(value)
        )
        return LoadInfo(schema, BANK_ID, False, load_s, index_s, await table_counts(conn, schema))
    finally:
        await conn.close()


async def drop_schema(server: BenchServer, schema: str) -> None:
    validate_schema_name(schema)
    conn = await asyncpg.connect(server.dsn)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()
