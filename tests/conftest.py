"""The backend matrix: each integration test runs once per backend that can be reached.

A backend is served by (in order) a URL from the environment, a Testcontainers container
when a Docker engine answers, or (PostgreSQL only) the embedded server; `--provider` or
`MEMREPO_TEST_PROVIDER` forces one. Unreachable backends are skipped with a reason that
says how to run them. Tests share one migrated schema per backend and isolate themselves
by bank; tests that need a schema of their own use `fresh_store`.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import platformdirs
import pytest

from repo.store import Store, open_store
from tests.providers import Provider, Unavailable, resolve_oracle, resolve_postgres
from tests.tenants import drop_schema, prepare_schema

# The embedded server of the tests lives apart from the one the demo and apps use.
os.environ.setdefault(
    "MEMREPO_EMBEDDED_DIR", str(platformdirs.user_cache_path("memrepo") / "pg18-tests")
)

BACKENDS = ("postgresql", "oracle")
_served: dict[str, str] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--provider",
        choices=["url", "testcontainers", "embedded"],
        default=None,
        help="force one provider for every backend (default: env MEMREPO_TEST_PROVIDER or auto)",
    )
    parser.addoption(
        "--backend",
        choices=BACKENDS,
        action="append",
        default=None,
        help="run integration tests on these backends only (repeatable)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgresql_only: the behaviour is PostgreSQL's own")


@pytest.fixture(scope="session")
def forced_provider(pytestconfig: pytest.Config) -> str | None:
    return pytestconfig.getoption("--provider") or os.environ.get("MEMREPO_TEST_PROVIDER") or None


def _backend_params() -> list[str]:
    return list(BACKENDS)


@pytest.fixture(scope="session", params=_backend_params())
def provider(request: pytest.FixtureRequest, forced_provider: str | None) -> Iterator[Provider]:
    """The provider serving one backend for the whole session."""
    name: str = request.param
    chosen = request.config.getoption("--backend")
    if chosen and name not in chosen:
        pytest.skip(f"{name} not selected (--backend {' '.join(chosen)})")
    try:
        prov = (
            resolve_postgres(forced_provider)
            if name == "postgresql"
            else resolve_oracle(forced_provider)
        )
    except Unavailable as exc:
        _served.setdefault(name, f"skipped: {exc.reason}")
        pytest.skip(exc.reason)
    _served[name] = f"{prov.kind} ({_redact(prov.url)})"
    if prov.backend == "oracle" and prov.admin_url:
        from tests.oracle_tenants import register_admin_url

        register_admin_url(prov.url, prov.admin_url)
    try:
        yield prov
    finally:
        prov.close()


def _redact(url: str) -> str:
    head, sep, tail = url.partition("@")
    if not sep:
        return url
    scheme, _, creds = head.partition("://")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{tail}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _served:
        terminalreporter.section("memrepo backends")
        for name in BACKENDS:
            if name in _served:
                terminalreporter.write_line(f"{name}: {_served[name]}")


def new_schema() -> str:
    return f"t_{uuid.uuid4().hex[:16]}"


@contextlib.asynccontextmanager
async def store_on_new_schema(provider: Provider, **options: Any) -> AsyncIterator[Store]:
    """A store on a freshly migrated schema of its own, dropped on exit."""
    schema = new_schema()
    await prepare_schema(provider.url, schema)
    try:
        async with open_store(provider.url, schema=schema, **options) as s:
            yield s
    finally:
        await drop_schema(provider.url, schema)


@pytest.fixture(scope="session")
async def store(provider: Provider) -> AsyncIterator[Store]:
    """A store on a schema migrated once per backend for the session."""
    async with store_on_new_schema(provider, max_size=8) as s:
        yield s


@pytest.fixture
async def bank(store: Store) -> str:
    """A fresh, empty bank in the shared store."""
    bank_id = f"bank-{uuid.uuid4().hex[:12]}"
    await store.banks.create(bank_id)
    return bank_id


@pytest.fixture
async def fresh_store(provider: Provider) -> AsyncIterator[Store]:
    """A store on a schema of its own, dropped afterwards."""
    async with store_on_new_schema(provider, max_size=10) as s:
        yield s


@pytest.fixture
def backend_name(store: Store) -> str:
    return store.backend.name
