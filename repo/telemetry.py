"""Tracing, pool metrics and statement logging, at no cost when nobody listens.

Every backend verb can be wrapped by `InstrumentedBackend`: one OpenTelemetry CLIENT span
per statement, named by the statement's registered name (also `db.operation.name`), with
`db.system` and the tenant schema as `db.namespace`, never a parameter value; and a DEBUG
line on the `memrepo` logger naming the statement. `instrument()` wraps a backend only
when, as the store opens, `opentelemetry-api` is installed (the `otel` extra) and the
application has set a tracer provider, or the `memrepo` logger is enabled for DEBUG;
otherwise repositories call the backend itself and nothing is paid.

Pool metrics are observable gauges read when a metric reader collects, following the
OpenTelemetry database client conventions: `db.client.connection.count` (by
`db.client.connection.state` = used / idle), `db.client.connection.max` and
`db.client.connection.pending_requests` (callers waiting for a connection).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

import sqlalchemy as sa

from repo.backends.base import EMPTY, Backend, PoolStats
from repo.rows import Row
from repo.sql.cache import Statement

logger = logging.getLogger("memrepo")

T = TypeVar("T")

#: The instrumentation scope of memrepo's spans and metrics.
SCOPE = "memrepo"

try:  # the optional `otel` extra
    from opentelemetry import metrics as otel_metrics
    from opentelemetry import trace as otel_trace
except ImportError:  # pragma: no cover - exercised by a subprocess test
    otel_trace = None  # type: ignore[assignment]
    otel_metrics = None  # type: ignore[assignment]


def tracing_available() -> bool:
    """Whether `opentelemetry-api` is installed."""
    return otel_trace is not None


def tracing_configured() -> bool:
    """Whether the application has set a tracer provider (the API's default one records
    nothing, so statements are not wrapped for it)."""
    if otel_trace is None:
        return False
    provider = otel_trace.get_tracer_provider()
    return not isinstance(provider, otel_trace.ProxyTracerProvider | otel_trace.NoOpTracerProvider)


class InstrumentedBackend(Backend):
    """A backend that traces and logs every statement of the one it wraps."""

    def __init__(self, inner: Backend, tracer: Any = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.dialect = inner.dialect
        self.capabilities = inner.capabilities
        self.schema = inner.schema
        self.target_accuracy = getattr(inner, "target_accuracy", None)
        self._tracer = tracer
        self._debug = logger.isEnabledFor(logging.DEBUG)
        self._attributes = {
            "db.system": inner.name,
            "db.system.name": inner.name,
            "db.namespace": inner.schema,
        }

    async def _run(self, verb: str, name: str, call: Awaitable[T]) -> T:
        if self._debug:
            logger.debug("%s %s", verb, name)
        if self._tracer is None:
            return await call
        attributes = {**self._attributes, "db.operation.name": name, "memrepo.verb": verb}
        with self._tracer.start_as_current_span(
            name, kind=otel_trace.SpanKind.CLIENT, attributes=attributes
        ):
            return await call

    async def fetch(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> list[Row]:
        return await self._run("fetch", stmt.name, self.inner.fetch(stmt, params))

    async def fetchrow(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> Row | None:
        return await self._run("fetchrow", stmt.name, self.inner.fetchrow(stmt, params))

    async def fetchval(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> Any:
        return await self._run("fetchval", stmt.name, self.inner.fetchval(stmt, params))

    async def execute(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> int:
        return await self._run("execute", stmt.name, self.inner.execute(stmt, params))

    async def executemany(self, stmt: Statement, rows: Sequence[Mapping[str, Any]]) -> None:
        await self._run("executemany", stmt.name, self.inner.executemany(stmt, rows))

    async def bulk_insert(
        self, table: sa.Table, columns: Sequence[str], records: Sequence[Sequence[Any]]
    ) -> None:
        name = f"bulk_insert.{table.name}"
        await self._run("bulk_insert", name, self.inner.bulk_insert(table, columns, records))

    async def fetch_locked(
        self, stmt: Statement, params: Mapping[str, Any], limit: int
    ) -> list[Row]:
        call = self.inner.fetch_locked(stmt, params, limit)
        return await self._run("fetch_locked", stmt.name, call)

    def transaction(self) -> AbstractAsyncContextManager[None]:
        return self.inner.transaction()

    def one_connection(self) -> AbstractAsyncContextManager[None]:
        return self.inner.one_connection()

    def vector_search(self, settings: Mapping[str, str]) -> AbstractAsyncContextManager[None]:
        return self.inner.vector_search(settings)

    async def maintain_vector_index(self) -> str:
        return await self.inner.maintain_vector_index()

    async def maintain(self, tables: Sequence[str], *, reindex: bool, timeout: float) -> list[str]:
        return await self.inner.maintain(tables, reindex=reindex, timeout=timeout)

    def for_schema(self, schema: str) -> Backend:
        return InstrumentedBackend(self.inner.for_schema(schema), self._tracer)

    def using(self, conn: Any) -> AbstractAsyncContextManager[None]:
        return self.inner.using(conn)

    async def vector_dimension(self, table: str, column: str) -> int | None:
        return await self.inner.vector_dimension(table, column)

    def pool_stats(self) -> PoolStats:
        return self.inner.pool_stats()

    def fulltext_query(self, text: str, mode: str = "all") -> str:
        return self.inner.fulltext_query(text, mode)

    async def close(self) -> None:
        await self.inner.close()


def instrument(backend: Backend) -> Backend:
    """`backend` traced and logged if anybody listens when the store opens (a tracer
    provider is set, or the `memrepo` logger is enabled for DEBUG), else `backend` itself."""
    if tracing_configured():
        return InstrumentedBackend(backend, otel_trace.get_tracer(SCOPE))
    if logger.isEnabledFor(logging.DEBUG):
        return InstrumentedBackend(backend)
    return backend


_observed: weakref.WeakSet[Backend] = weakref.WeakSet()
_registered: set[int] = set()


def register_pool_metrics(backend: Backend, meter_provider: Any = None) -> bool:
    """Report the backend's pool through the gauges of `meter_provider` (default: the
    global one); False when opentelemetry-api is missing. The gauges are created once per
    provider and observe every registered backend that is still open."""
    if otel_metrics is None:
        return False
    _observed.add(backend)
    provider = meter_provider or otel_metrics.get_meter_provider()
    if id(provider) in _registered:
        return True
    _registered.add(id(provider))
    meter = provider.get_meter(SCOPE)
    Observation = otel_metrics.Observation

    def pools() -> Iterable[tuple[dict[str, str], PoolStats]]:
        for db in list(_observed):
            name = f"memrepo.{db.name}.{db.schema}.{id(db):x}"
            yield {"db.client.connection.pool.name": name}, db.pool_stats()

    def counts(options: Any) -> Iterable[Any]:
        for pool, stats in pools():
            yield Observation(stats.in_use, {**pool, "db.client.connection.state": "used"})
            yield Observation(stats.idle, {**pool, "db.client.connection.state": "idle"})

    def maximum(options: Any) -> Iterable[Any]:
        for pool, stats in pools():
            yield Observation(stats.max_size, pool)

    def pending(options: Any) -> Iterable[Any]:
        for pool, stats in pools():
            if stats.waiting is not None:
                yield Observation(stats.waiting, pool)

    meter.create_observable_up_down_counter(
        "db.client.connection.count", [counts], unit="{connection}"
    )
    meter.create_observable_up_down_counter(
        "db.client.connection.max", [maximum], unit="{connection}"
    )
    meter.create_observable_up_down_counter(
        "db.client.connection.pending_requests", [pending], unit="{request}"
    )
    return True


def unregister_pool_metrics(backend: Backend) -> None:
    """Stop reporting a backend's pool (it is closing)."""
    _observed.discard(backend)
