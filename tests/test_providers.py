"""The backend-matrix providers (tests/providers.py): resolution order and the real providers.

The resolution tests replace the providers with fakes, so they run anywhere. The Testcontainers
and embedded tests start real servers and are skipped, with the reason, when that is impossible.
"""

from __future__ import annotations

import importlib
import socket
import uuid
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import asyncpg
import pytest

if TYPE_CHECKING:
    import providers
else:  # tests/ may be a package (tests.providers) or a plain directory on sys.path (providers)
    providers = importlib.import_module(f"{__package__}.providers" if __package__ else "providers")


ALL_ENV = (
    providers.ENV_PROVIDER,
    providers.ENV_POSTGRES_URL,
    providers.ENV_ORACLE_URL,
    providers.ENV_POSTGRES_ADMIN_URL,
    providers.ENV_ORACLE_ADMIN_URL,
)
PG_URL = "postgresql://app:secret@127.0.0.1:5999/appdb"
ORA_URL = "oracle://memrepo:secret@127.0.0.1:1521/FREEPDB1"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No provider configuration from the caller's environment leaks into a test."""
    for name in ALL_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def _fake(kind: str, backend: str = "postgresql") -> providers.Provider:
    return providers.Provider(backend, kind, f"fake://{kind}", providers._noop, detail=kind)


def _unavailable(reason: str, *, failed: bool = False) -> object:
    def attempt() -> providers.Provider:
        raise providers.Unavailable(reason, failed=failed)

    return attempt


@pytest.fixture
def fakes(clean_env: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Every PostgreSQL provider can serve (as a fake); tests knock them out one by one."""
    clean_env.setattr(providers, "_postgres_testcontainers", lambda: _fake("testcontainers"))
    clean_env.setattr(providers, "_postgres_embedded", lambda: _fake("embedded"))
    return clean_env


# --------------------------------------------------------------------------- resolution order


def test_url_from_environment_wins(fakes: pytest.MonkeyPatch) -> None:
    fakes.setenv(providers.ENV_POSTGRES_URL, PG_URL)
    provider = providers.resolve_postgres()
    assert (provider.backend, provider.kind, provider.url) == ("postgresql", "url", PG_URL)
    provider.close()  # a no-op for a URL


def test_testcontainers_before_embedded(fakes: pytest.MonkeyPatch) -> None:
    assert providers.resolve_postgres().kind == "testcontainers"


def test_embedded_when_no_container(fakes: pytest.MonkeyPatch) -> None:
    fakes.setattr(providers, "_postgres_testcontainers", _unavailable("no Docker engine answers"))
    provider = providers.resolve_postgres()
    assert provider.kind == "embedded"
    assert "no Docker engine answers" in provider.detail


def test_broken_container_falls_back_loudly(fakes: pytest.MonkeyPatch) -> None:
    fakes.setattr(
        providers, "_postgres_testcontainers", _unavailable("container exploded", failed=True)
    )
    with pytest.warns(RuntimeWarning, match="container exploded"):
        assert providers.resolve_postgres().kind == "embedded"


def test_nothing_available_says_how_to_run(fakes: pytest.MonkeyPatch) -> None:
    fakes.setattr(providers, "_postgres_testcontainers", _unavailable("no engine"))
    fakes.setattr(providers, "_postgres_embedded", _unavailable("no wheel"))
    with pytest.raises(providers.Unavailable) as info:
        providers.resolve_postgres()
    assert providers.ENV_POSTGRES_URL in info.value.reason
    assert "no engine" in info.value.reason and "no wheel" in info.value.reason


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_forced_provider_that_cannot_serve_raises(fakes: pytest.MonkeyPatch, how: str) -> None:
    if how == "environment":
        fakes.setenv(providers.ENV_PROVIDER, "url")
    with pytest.raises(providers.Unavailable) as info:
        providers.resolve_postgres("url" if how == "argument" else None)
    reason = info.value.reason
    assert "forced provider 'url'" in reason and providers.ENV_POSTGRES_URL in reason


def test_forced_provider_skips_the_others(fakes: pytest.MonkeyPatch) -> None:
    fakes.setenv(providers.ENV_POSTGRES_URL, PG_URL)
    assert providers.resolve_postgres("embedded").kind == "embedded"
    fakes.setenv(providers.ENV_PROVIDER, "testcontainers")
    assert providers.resolve_postgres().kind == "testcontainers"
    assert providers.resolve_postgres("auto").kind == "url"


def test_unknown_provider_is_an_error(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="unknown test provider 'docker'"):
        providers.resolve_postgres("docker")


def test_forced_testcontainers_without_engine(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setattr(providers, "docker_available", lambda timeout=2.0: False)
    with pytest.raises(providers.Unavailable, match=r"no Docker engine answers.*docker-up\.sh"):
        providers.resolve_postgres("testcontainers")


def test_oracle_url_wins(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv(providers.ENV_ORACLE_URL, ORA_URL)
    checked: list[str] = []
    clean_env.setattr(providers, "ORACLE_FEATURE_CHECK", lambda url: checked.append(url) or [])
    provider = providers.resolve_oracle()
    assert (provider.backend, provider.kind, provider.url) == ("oracle", "url", ORA_URL)
    assert checked == [ORA_URL]  # Oracle Text and VECTOR were checked before handing it out


def test_oracle_without_oracle_text_is_skipped_with_the_fix(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv(providers.ENV_ORACLE_URL, ORA_URL)
    clean_env.setattr(providers, "docker_available", lambda timeout=2.0: False)
    missing = ["Oracle Text (user CTXSYS): use gvenzl/oracle-free:23 or 23-full"]
    clean_env.setattr(providers, "ORACLE_FEATURE_CHECK", lambda url: missing)
    with pytest.raises(providers.Unavailable) as info:
        providers.resolve_oracle()
    assert "cannot run memrepo's schema: Oracle Text (user CTXSYS)" in info.value.reason
    with pytest.raises(providers.Unavailable, match=r"forced provider 'url'.*CTXSYS"):
        providers.resolve_oracle("url")


def test_default_oracle_image_has_oracle_text() -> None:
    """gvenzl/oracle-free's image documentation: the -slim flavours uninstall Oracle Text."""
    assert providers.DEFAULT_ORACLE_IMAGE == "gvenzl/oracle-free:23"
    compose = (providers.ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8")
    assert f"image: {providers.DEFAULT_ORACLE_IMAGE}\n" in compose
    for doc in ("README.md", "docs/oracle.md", "docker/postgres/README.md"):
        text = (providers.ROOT / doc).read_text(encoding="utf-8")
        assert "oracle-free:23-slim" not in text, doc


def test_oracle_unavailable_reason_says_how_to_run(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setattr(providers, "docker_available", lambda timeout=2.0: False)
    with pytest.raises(providers.Unavailable) as info:
        providers.resolve_oracle()
    reason = info.value.reason
    assert reason.startswith("Oracle not reachable: set MEMREPO_TEST_ORACLE_URL=oracle://")
    assert "gvenzl/oracle-free:23 " in reason and "no Docker engine answers" in reason


def test_oracle_has_no_embedded_server(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(providers.Unavailable, match="no embedded Oracle"):
        providers.resolve_oracle("embedded")


def test_docker_available_is_quick_without_an_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    assert providers.docker_available() is False


# --------------------------------------------------------------------------- real providers


def _port_open(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((parts.hostname or "127.0.0.1", parts.port or 5432)) == 0


async def _check_pgvector(url: str) -> None:
    """CREATE EXTENSION works (not only an init script's), in a scratch database so the
    server's other databases and their vector columns are never touched."""
    scratch = f"ext_check_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f'CREATE DATABASE "{scratch}"')
        try:
            conn = await asyncpg.connect(url, database=scratch)
            try:
                await conn.execute("CREATE EXTENSION vector")
                distance = await conn.fetchval("SELECT '[1,2,3]'::vector <-> '[1,2,5]'::vector")
                assert distance == pytest.approx(2.0)
            finally:
                await conn.close()
        finally:
            await admin.execute(f'DROP DATABASE "{scratch}"')
    finally:
        await admin.close()


@pytest.fixture
def container_provider(clean_env: pytest.MonkeyPatch) -> Iterator[providers.Provider]:
    if not providers.docker_available():
        pytest.skip("no Docker engine answers (bash .ci/docker-up.sh to start one)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            provider = providers.resolve_postgres("testcontainers")
        except providers.Unavailable as exc:
            pytest.skip(exc.reason)
    try:
        yield provider
    finally:
        provider.close()


@pytest.mark.slow
async def test_testcontainers_postgres_serves_pgvector(
    container_provider: providers.Provider,
) -> None:
    provider = container_provider
    parts = urlsplit(provider.url)
    assert provider.kind == "testcontainers"
    assert parts.scheme == "postgresql" and parts.username and parts.password
    assert parts.hostname is not None and parts.port is not None and parts.path.strip("/")
    await _check_pgvector(provider.url)
    assert provider.admin_url == provider.url

    provider.close()
    provider.close()  # idempotent
    assert not _port_open(provider.url), "the container still answers after close()"


@pytest.mark.slow
async def test_embedded_postgres_serves_pgvector(clean_env: pytest.MonkeyPatch) -> None:
    try:
        provider = providers.resolve_postgres("embedded")
    except providers.Unavailable as exc:
        pytest.skip(exc.reason)
    assert provider.kind == "embedded"
    await _check_pgvector(provider.url)
