"""What every recall variant shares: the recall's shape and target, the interface a
variant implements, the recall algorithm over any driver's fetch, and the library's
compiled SQL text for drivers that take text."""

from __future__ import annotations

import abc
import contextlib
import importlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import asyncpg

from repo.backends.postgres import DIALECT, init_connection
from repo.bench.bank import session_settings
from repo.bench.data import Query
from repo.bench.filters import BENCH_FILTERS, TEMPORAL_WINDOW, UNFILTERED
from repo.models import GraphQuery, RecallFilter, TemporalQuery
from repo.repositories.memories import UNIT_COLUMNS
from repo.repositories.recall import (
    ARMS,
    UNIT_ENTITIES,
    Fetch,
    RecallResult,
    expand_statement,
    run_recall,
)
from repo.repositories.recall.expansion import bind_graph
from repo.repositories.recall.filters import bind_filter
from repo.repositories.recall.fusion import result_arms, rrf
from repo.repositories.recall.temporal import bind_temporal
from repo.sql import Statement
from repo.sql.filters import NO_FILTER
from repo.store import Store, open_store
from schema.tables import FACT_TYPES

#: Columns of a candidate row (every arm and the graph expansion) and of an entity row.
CANDIDATE_COLUMNS: tuple[str, ...] = (*(c.name for c in UNIT_COLUMNS), "arm", "score")
ENTITY_COLUMNS: tuple[str, ...] = ("unit_id", "entity_id", "name", "entity_type")

ARMS_STATEMENT = ARMS.shape(fact_types=FACT_TYPES, text=True, fallback=True)
RECALL_STATEMENTS: dict[str, Statement] = {
    "recall.arms": ARMS_STATEMENT,
    "recall.expand": expand_statement(sources_table=False, observations=True, where=NO_FILTER),
    "recall.unit_entities": UNIT_ENTITIES,
}


@dataclass(frozen=True)
class RecallShape:
    """How big one recall is. `for_k(200)`: ~1,000 candidate rows (3 x 200 + 200 + 2 x 100);
    `for_k(20)`, what users ask for: ~100."""

    k_semantic: int = 200
    k_text: int = 200
    k_graph: int = 100
    seeds: int = 20
    #: The recall filter every arm applies, by name (`repo.bench.filters.BENCH_FILTERS`).
    where: str = UNFILTERED
    #: Whether the recall runs the temporal arm over `TEMPORAL_WINDOW` (k = k_semantic).
    temporal: bool = False
    #: The graph arm's `GraphQuery.entity_fanout` (None: no `GraphQuery`, the defaults).
    entity_fanout: int | None = None

    @classmethod
    def for_k(
        cls,
        k: int,
        where: str = UNFILTERED,
        temporal: bool = False,
        entity_fanout: int | None = None,
    ) -> RecallShape:
        return cls(
            k_semantic=k, k_text=k, k_graph=max(k // 2, 10), seeds=20, where=where,
            temporal=temporal, entity_fanout=entity_fanout,
        )  # fmt: skip

    @property
    def graph_query(self) -> GraphQuery | None:
        """How the graph arm walks (None: the defaults)."""
        return None if self.entity_fanout is None else GraphQuery(entity_fanout=self.entity_fanout)

    @property
    def filter(self) -> RecallFilter | None:
        return BENCH_FILTERS[self.where]

    @property
    def temporal_query(self) -> TemporalQuery | None:
        """The temporal arm's window and sizes (None: the arm does not run)."""
        if not self.temporal:
            return None
        return TemporalQuery(*TEMPORAL_WINDOW, k=self.k_semantic, spread=self.k_semantic)


@dataclass(frozen=True)
class Target:
    """Where the variants connect and what they read."""

    url: str
    dsn: str
    schema: str
    bank_id: str
    pool_size: int
    shape: RecallShape


def read_all(rows: Sequence[Any], names: Sequence[str]) -> int:
    """Read every named column of every row (what a caller does); return the count."""
    for row in rows:
        for name in names:
            _ = row[name]
    return len(rows) * len(names)


def read_result(result: RecallResult) -> int:
    return read_all(result.all_rows(), CANDIDATE_COLUMNS) + read_all(
        result.entities, ENTITY_COLUMNS
    )


async def recall_flow(fetch: Fetch, target: Target, q: Query) -> RecallResult:
    """`RecallRepository.recall`'s algorithm (`run_recall`) over any driver's `fetch`."""
    shape = target.shape
    where, filter_params = bind_filter(shape.filter)
    params = {
        "bank_id": target.bank_id,
        "embedding": q.embedding,
        "k_semantic": shape.k_semantic,
        "query": q.text,
        "k_text": shape.k_text,
        **filter_params,
    }
    temporal = None
    if shape.temporal_query is not None:
        temporal, values = bind_temporal("temporal", shape.temporal_query, has_embedding=True)
        params |= values
    return await run_recall(
        fetch,
        params,
        fact_types=FACT_TYPES,
        has_text=True,
        k_graph=shape.k_graph,
        n_seeds=shape.seeds,
        where=where,
        temporal=temporal,
        graph=None if shape.graph_query is None else bind_graph("graph", shape.graph_query)[1],
    )


class SqlText:
    """The library's compiled PostgreSQL text per statement (and its parameter order), taken
    once per statement; `named=True` gives `:name` parameters instead of `$n`."""

    def __init__(self, *, named: bool = False) -> None:
        self._named = named
        self._text: dict[str, tuple[str, tuple[str, ...]]] = {}

    def __getitem__(self, stmt: Statement) -> tuple[str, tuple[str, ...]]:
        try:
            return self._text[stmt.name]
        except KeyError:
            c = stmt.compiled(DIALECT)
            sql = named_sql(c.sql, c.params) if self._named else c.sql
            self._text[stmt.name] = (sql, c.params)
            return self._text[stmt.name]


class RecallVariant(abc.ABC):
    """One way of running the recall; `open` once, `recall` many times, `close`."""

    name: ClassVar[str]
    description: ClassVar[str]
    #: Importable modules the variant needs (reported as missing when absent).
    requires: ClassVar[tuple[str, ...]] = ()

    @abc.abstractmethod
    async def open(self, target: Target) -> None: ...

    @abc.abstractmethod
    async def recall(self, q: Query) -> int:
        """Run one recall and read every column of every row; return the columns read."""

    @abc.abstractmethod
    async def semantic_ids(self, q: Query) -> dict[str, list[Any]]:
        """The ids each semantic arm returned for `q` (fact type -> ids), for recall@k."""

    @abc.abstractmethod
    async def close(self) -> None: ...


class CombinedRecall(RecallVariant):
    """A variant of the combined recall: `result` runs it, the arms are fused as
    `RecallRepository.recall` fuses them, and every column is read."""

    #: Whether `result` leaves the fusion to `recall` (the library's API fuses on its own).
    fuses: ClassVar[bool] = True

    @abc.abstractmethod
    async def result(self, q: Query) -> RecallResult: ...

    async def recall(self, q: Query) -> int:
        result = await self.result(q)
        if self.fuses:
            result.fused = rrf(result_arms(result))
        return read_result(result)

    async def semantic_ids(self, q: Query) -> dict[str, list[Any]]:
        return {ft: [r["id"] for r in rows] for ft, rows in (await self.result(q)).semantic.items()}


def named_sql(sql: str, order: Sequence[str]) -> str:
    """asyncpg's `$n` SQL with `:name` parameters (casts escaped) for `text()`-style APIs."""
    escaped = sql.replace("::", r"\:\:")
    return re.sub(r"\$(\d+)", lambda m: ":" + order[int(m[1]) - 1], escaped)


def missing_reason(variant: type[RecallVariant]) -> str | None:
    """Why a variant cannot run here (a package is missing), or None."""
    for module in variant.requires:
        try:
            importlib.import_module(module)
        except Exception as exc:
            why = f"{type(exc).__name__}: {exc}"
            return f"{module} not importable ({why}); pip install 'memrepo[bench]'"
    return None


async def raw_pool(target: Target) -> asyncpg.Pool:
    """A bare asyncpg pool on the target with memrepo's codecs and session settings: what
    the raw-driver variants run the library's SQL on."""
    return await asyncpg.create_pool(
        target.dsn,
        min_size=target.pool_size,
        max_size=target.pool_size,
        init=init_connection,
        server_settings=session_settings(target.schema),
    )


class RawPoolVariant:
    """The raw-driver variants' pool: opened by `raw_pool`, the library's SQL text run on
    it one pool call per statement (`fetch`), closed with the variant."""

    target: Target

    def __init__(self) -> None:
        self.pool: asyncpg.Pool | None = None
        self._sql = SqlText()

    async def open(self, target: Target) -> None:
        self.target = target
        self.pool = await raw_pool(target)

    async def fetch(self, stmt: Statement, params: Mapping[str, Any]) -> list[Any]:
        assert self.pool is not None
        sql, order = self._sql[stmt]
        return await self.pool.fetch(sql, *[params[p] for p in order])  # type: ignore[no-any-return]

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()


class StoreVariant:
    """The memrepo variants' store: opened on the target with a pool the size of the raw
    variants' (`open`), closed with the variant."""

    target: Target

    def __init__(self) -> None:
        self._stack = contextlib.AsyncExitStack()
        self.store: Store | None = None

    async def open(self, target: Target) -> None:
        self.target = target
        self.store = await self._stack.enter_async_context(
            open_store(
                target.url,
                schema=target.schema,
                run_migrations=False,
                min_size=target.pool_size,
                max_size=target.pool_size,
            )
        )

    async def close(self) -> None:
        await self._stack.aclose()
