"""Tracing, pool metrics and statement logging, through the OpenTelemetry SDK's in-memory
exporter and reader over a real store."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from repo.backends.base import Backend
from repo.models import RecallQuery
from repo.sql.cache import REGISTRY
from repo.store import Store
from repo.telemetry import InstrumentedBackend, register_pool_metrics
from tests.conftest import store_on_new_schema
from tests.helpers import embedding, unit
from tests.inspection import spied
from tests.providers import Provider

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    """The process's tracer provider (set once) feeding an in-memory exporter."""
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


def _known(name: str) -> bool:
    plain = {s.name for s in REGISTRY.all_statements()}
    return name in plain or name.split("[", 1)[0] in {f.name for f in REGISTRY.families()}


@pytest.mark.integration
async def test_one_recall_has_a_span_per_statement(
    store: Store, bank: str, spans: InMemorySpanExporter
) -> None:
    await store.memories.retain(bank, [unit(i) for i in range(6)])
    traced, spy = spied(store)
    spans.clear()
    secret = "where-does-alice-live-7f3a"
    with trace.get_tracer("app").start_as_current_span("handle request") as parent:
        await traced.recall.recall(bank, RecallQuery(embedding=embedding(1), text=secret))
    finished = [s for s in spans.get_finished_spans() if s.name != "handle request"]
    # One span per statement the backend ran, in order, under the caller's span.
    assert [s.name for s in finished] == spy.succeeded() and len(finished) >= 2
    for span in finished:
        attrs = dict(span.attributes or {})
        assert _known(span.name), span.name
        assert attrs["db.operation.name"] == span.name
        assert attrs["db.system"] == store.backend.name
        assert attrs["db.namespace"] == store.schema
        assert span.kind is trace.SpanKind.CLIENT
        assert span.parent is not None
        assert span.parent.span_id == parent.get_span_context().span_id
        # No parameter value: neither the query text nor the bank id.
        assert not any(secret in str(v) or bank in str(v) for v in attrs.values())


@pytest.mark.integration
async def test_a_failed_statement_has_an_error_span(
    store: Store, bank: str, spans: InMemorySpanExporter
) -> None:
    import uuid

    from repo.errors import ConflictError
    from repo.models import LinkIn

    traced = Store(store.backend, store.url, dim=store.dim)  # opened with a provider set
    spans.clear()
    dangling = LinkIn(uuid.uuid4(), uuid.uuid4(), "semantic", 0.5)
    with pytest.raises(ConflictError):
        await traced.memories.retain(bank, [unit(1)], [dangling])
    failed = [
        s for s in spans.get_finished_spans() if s.status.status_code is trace.StatusCode.ERROR
    ]
    assert len(failed) == 1, [s.name for s in spans.get_finished_spans()]
    attrs = dict(failed[0].attributes or {})
    assert attrs["db.operation.name"] == failed[0].name and _known(failed[0].name)


@pytest.mark.integration
async def test_memrepo_logger_names_statements_at_debug(
    store: Store, bank: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="memrepo"):
        fresh = Store(store.backend, store.url, dim=store.dim)
        await fresh.banks.get(bank)
    names = [r.getMessage() for r in caplog.records if r.name == "memrepo"]
    assert len(names) == 1 and names[0].split()[1] in {s.name for s in REGISTRY.all_statements()}
    assert bank not in names[0]


@pytest.mark.integration
async def test_pool_metrics_report_size_use_and_waiting(provider: Provider) -> None:
    reader = InMemoryMetricReader()
    meters = MeterProvider(metric_readers=[reader])
    async with store_on_new_schema(provider, min_size=1, max_size=2) as store:
        assert register_pool_metrics(store.backend, meters)
        await store.banks.create("b")
        held, release = asyncio.Event(), asyncio.Event()
        inside = 0

        async def hold() -> None:
            nonlocal inside
            async with store.transaction():
                await store.banks.get("b")
                inside += 1
                if inside == 2:
                    held.set()
                await release.wait()

        holders = [asyncio.create_task(hold()) for _ in range(2)]
        await held.wait()
        waiter = asyncio.create_task(store.banks.get("b"))
        for _ in range(1000):  # until the third caller queues for a connection
            if store.pool_stats().waiting != 0:
                break
            await asyncio.sleep(0.005)
        stats = store.pool_stats()
        assert (stats.size, stats.in_use, stats.idle, stats.max_size) == (2, 2, 0, 2)
        expected_waiting = None if provider.backend == "oracle" else 1
        assert stats.waiting == expected_waiting
        points = _points(reader, store)
        release.set()
        await asyncio.gather(*holders, waiter)
        assert store.pool_stats().in_use == 0
    assert points[("db.client.connection.count", "used")] == 2
    assert points[("db.client.connection.count", "idle")] == 0
    assert points[("db.client.connection.max", None)] == 2
    if expected_waiting is not None:
        assert points[("db.client.connection.pending_requests", None)] == 1


def _points(reader: InMemoryMetricReader, store: Store) -> dict[tuple[str, str | None], int]:
    """This store's gauge values by (metric, connection state)."""
    data = reader.get_metrics_data()
    assert data is not None
    out: dict[tuple[str, str | None], int] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:  # type: ignore[union-attr]
                    attrs = dict(point.attributes or {})
                    if f".{store.schema}." not in str(attrs["db.client.connection.pool.name"]):
                        continue
                    state = attrs.get("db.client.connection.state")
                    out[(metric.name, None if state is None else str(state))] = int(point.value)
    return out


def test_without_a_tracer_provider_nothing_is_wrapped() -> None:
    """opentelemetry-api installed, no provider set, the logger quiet: repositories call the
    backend itself."""
    code = (
        "from repo import telemetry\n"
        "class B: name, dialect, capabilities, schema = 'postgresql', None, None, 'public'\n"
        "backend = B()\n"
        "assert telemetry.tracing_available() and not telemetry.tracing_configured()\n"
        "assert telemetry.instrument(backend) is backend\n"
        "from opentelemetry import trace\n"
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "trace.set_tracer_provider(TracerProvider())\n"
        "assert isinstance(telemetry.instrument(backend), telemetry.InstrumentedBackend)\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_without_opentelemetry_nothing_is_wrapped() -> None:
    """With opentelemetry-api missing (and the logger quiet), repositories call the
    backend itself: no wrapper, no metrics."""
    code = (
        "import sys; sys.modules['opentelemetry'] = None\n"
        "from repo import telemetry\n"
        "class B: name, dialect, capabilities, schema = 'postgresql', None, None, 'public'\n"
        "backend = B()\n"
        "assert not telemetry.tracing_available()\n"
        "assert telemetry.instrument(backend) is backend\n"
        "assert telemetry.register_pool_metrics(backend) is False\n"
        "import logging; logging.getLogger('memrepo').setLevel(logging.DEBUG)\n"
        "assert isinstance(telemetry.instrument(backend), telemetry.InstrumentedBackend)\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_the_traced_backend_delegates_every_backend_method() -> None:
    """A method the wrapper does not define falls back to Backend's default instead of the
    wrapped backend's (a traced Oracle store would skip its vector-index maintenance)."""
    public = {
        name
        for name, value in vars(Backend).items()
        if callable(value) and not name.startswith("_")
    }
    missing = sorted(public - set(vars(InstrumentedBackend)))
    assert not missing, f"InstrumentedBackend inherits instead of delegating: {missing}"
