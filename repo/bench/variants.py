"""One combined recall, done by each library the way its users would do it.

Every variant runs the same recall as `RecallRepository.recall`: one UNION ALL round
trip for the semantic arms (one per fact type) and the full-text arm, graph expansion
from the best 20 seeds, then the entities of every candidate. Every variant reads every
column of every returned row by name (as a caller building its own objects does), so the
cost of row access is counted, and returns how many column values it read.

- `memrepo`: the library's public API (`store.recall.recall`).
- `raw_asyncpg`: the library's compiled SQL text on a bare asyncpg pool with the same
  codecs and session settings, one pool call per statement (the naive way): the baseline.
- `raw_asyncpg_one_conn`: the same, with every statement of a recall on one connection
  acquired once (what careful hand-written code does): the limit.
- `sqlalchemy_async`: the same Core statements through SQLAlchemy's `AsyncEngine`
  (asyncpg driver), one `engine.connect()` per recall, `result.mappings()`.
- `wrapped_rows`: the library with every row wrapped in a Python `Mapping` class: the
  original +24% regression, kept as a reference point.
- `databases`: encode/databases, the same SQL text (`:name` parameters), same codecs.
- `sqlspec`: sqlspec's asyncpg adapter, the same SQL text (`$n`), same codecs.

Their shared interface and the recall algorithm are in `repo.bench.variant_api`;
`RecallShape`, `Target`, `RecallVariant`, `missing_reason` and `named_sql` are
re-exported here.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

from repo.backends.base import EMPTY
from repo.backends.postgres import PostgresBackend, init_connection
from repo.bench.bank import session_settings
from repo.bench.data import Query
from repo.bench.variant_api import (
    CombinedRecall,
    RawPoolVariant,
    RecallShape,
    RecallVariant,
    SqlText,
    StoreVariant,
    Target,
    missing_reason,
    named_sql,
    recall_flow,
)
from repo.models import RecallQuery
from repo.repositories.recall import RecallResult
from repo.rows import Row
from repo.sql import Statement
from repo.store import Store
from repo.urls import sqlalchemy_url

__all__ = [
    "BASELINE",
    "VARIANTS",
    "VARIANT_NAMES",
    "DatabasesVariant",
    "MemrepoVariant",
    "RawAsyncpgVariant",
    "RawOneConnectionVariant",
    "RecallShape",
    "RecallVariant",
    "SQLAlchemyVariant",
    "SqlspecVariant",
    "Target",
    "WrappedRowsVariant",
    "missing_reason",
    "named_sql",
]


# --------------------------------------------------------------------------- memrepo


def recall_query(q: Query, shape: RecallShape) -> RecallQuery:
    return RecallQuery(
        embedding=q.embedding,
        text=q.text,
        k_semantic=shape.k_semantic,
        k_text=shape.k_text,
        k_graph=shape.k_graph,
        seeds=shape.seeds,
        where=shape.filter,
        temporal=shape.temporal_query,
        graph=shape.graph_query,
    )


class MemrepoVariant(StoreVariant, CombinedRecall):
    name = "memrepo"
    description = "memrepo's public API: store.recall.recall()"
    fuses = False  # recall() returns the fused ranking

    async def result(self, q: Query) -> RecallResult:
        assert self.store is not None
        query = recall_query(q, self.target.shape)
        return await self.store.recall.recall(self.target.bank_id, query)


class WrappedRow(Mapping[str, Any]):
    """The original regression: a Python mapping class around every `asyncpg.Record`."""

    __slots__ = ("_record",)

    def __init__(self, record: Any) -> None:
        self._record = record

    def __getitem__(self, key: Any) -> Any:
        return self._record[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._record.keys())

    def __len__(self) -> int:
        return len(self._record)


class WrappingBackend(PostgresBackend):
    """The PostgreSQL backend as it was before rows were returned untouched."""

    async def fetch(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> list[Row]:
        return [WrappedRow(r) for r in await super().fetch(stmt, params)]  # type: ignore[misc]

    async def fetchrow(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> Row | None:
        row = await super().fetchrow(stmt, params)
        return None if row is None else WrappedRow(row)  # type: ignore[return-value]


class WrappedRowsVariant(MemrepoVariant):
    name = "wrapped_rows"
    description = "memrepo with each row wrapped in a Python Mapping class (the old regression)"

    async def open(self, target: Target) -> None:
        self.target = target
        backend = await WrappingBackend.connect(
            target.dsn,
            schema=target.schema,
            min_size=target.pool_size,
            max_size=target.pool_size,
        )
        self.store = Store(backend, target.url)
        self._stack.push_async_callback(self.store.close)


# --------------------------------------------------------------------------- raw asyncpg


class RawAsyncpgVariant(RawPoolVariant, CombinedRecall):
    name = "raw_asyncpg"
    description = "the library's compiled SQL on a bare asyncpg pool, one pool call each"

    async def result(self, q: Query) -> RecallResult:
        return await recall_flow(self.fetch, self.target, q)


class RawOneConnectionVariant(RawAsyncpgVariant):
    name = "raw_asyncpg_one_conn"
    description = "the same SQL, every statement of a recall on one acquired connection"

    async def result(self, q: Query) -> RecallResult:
        assert self.pool is not None
        async with self.pool.acquire() as conn:

            async def fetch(stmt: Statement, params: Mapping[str, Any]) -> list[Any]:
                sql, order = self._sql[stmt]
                return await conn.fetch(sql, *[params[p] for p in order])  # type: ignore[no-any-return]

            return await recall_flow(fetch, self.target, q)


# --------------------------------------------------------------------------- SQLAlchemy


class SQLAlchemyVariant(CombinedRecall):
    name = "sqlalchemy_async"
    description = "the same Core statements on SQLAlchemy's AsyncEngine (asyncpg)"
    requires = ("sqlalchemy.ext.asyncio", "greenlet")

    def __init__(self) -> None:
        self.engine: Any = None

    async def open(self, target: Target) -> None:
        from sqlalchemy.ext.asyncio import create_async_engine

        self.target = target
        self.engine = create_async_engine(
            sqlalchemy_url(target.url),
            pool_size=target.pool_size,
            max_overflow=0,
            connect_args={"server_settings": session_settings(target.schema)},
        )
        # Open the pool's connections now, as the other variants' pools do.
        conns = [await self.engine.connect() for _ in range(target.pool_size)]
        for conn in conns:
            await conn.close()

    async def result(self, q: Query) -> RecallResult:
        async with self.engine.connect() as conn:

            async def fetch(stmt: Statement, params: Mapping[str, Any]) -> list[Any]:
                result = await conn.execute(stmt.stmt, dict(params))
                return result.mappings().all()  # type: ignore[no-any-return]

            return await recall_flow(fetch, self.target, q)

    async def close(self) -> None:
        if self.engine is not None:
            await self.engine.dispose()


# --------------------------------------------------------------------------- databases


class DatabasesVariant(CombinedRecall):
    name = "databases"
    description = "encode/databases: the same SQL text with :name parameters, same codecs"
    requires = ("databases",)

    def __init__(self) -> None:
        self.db: Any = None
        self._sql = SqlText(named=True)

    async def open(self, target: Target) -> None:
        databases = importlib.import_module("databases")
        self.target = target
        self.db = databases.Database(
            target.dsn,
            min_size=target.pool_size,
            max_size=target.pool_size,
            init=init_connection,
            server_settings=session_settings(target.schema),
        )
        await self.db.connect()

    async def _fetch(self, stmt: Statement, params: Mapping[str, Any]) -> list[Any]:
        return await self.db.fetch_all(self._sql[stmt][0], dict(params))  # type: ignore[no-any-return]

    async def result(self, q: Query) -> RecallResult:
        return await recall_flow(self._fetch, self.target, q)

    async def close(self) -> None:
        if self.db is not None:
            await self.db.disconnect()


# --------------------------------------------------------------------------- sqlspec


class SqlspecVariant(CombinedRecall):
    name = "sqlspec"
    description = "sqlspec's asyncpg adapter: the same SQL text ($n), same codecs"
    requires = ("sqlspec.adapters.asyncpg",)

    def __init__(self) -> None:
        self.config: Any = None
        self._sql = SqlText()

    async def open(self, target: Target) -> None:
        adapter = importlib.import_module("sqlspec.adapters.asyncpg")
        self.target = target
        self.config = adapter.AsyncpgConfig(
            connection_config={
                "dsn": target.dsn,
                "min_size": target.pool_size,
                "max_size": target.pool_size,
                "server_settings": session_settings(target.schema),
                "init": init_connection,
            },
            # memrepo's codecs instead of sqlspec's own JSON and pgvector ones.
            driver_features={"enable_json_codecs": False, "enable_pgvector": False},
        )

    async def result(self, q: Query) -> RecallResult:
        async with self.config.provide_session() as session:

            async def fetch(stmt: Statement, params: Mapping[str, Any]) -> list[Any]:
                sql, order = self._sql[stmt]
                return await session.select(sql, *[params[p] for p in order])  # type: ignore[no-any-return]

            return await recall_flow(fetch, self.target, q)

    async def close(self) -> None:
        if self.config is not None:
            await self.config.close_pool()


VARIANTS: tuple[type[RecallVariant], ...] = (
    MemrepoVariant,
    RawAsyncpgVariant,
    RawOneConnectionVariant,
    SQLAlchemyVariant,
    WrappedRowsVariant,
    DatabasesVariant,
    SqlspecVariant,
)
VARIANT_NAMES = tuple(v.name for v in VARIANTS)
BASELINE = "raw_asyncpg"
