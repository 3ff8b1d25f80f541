"""Opening connections: the connect timeout, and the typed error (with what to do) for
every way opening a store or migrating can fail: wrong password, unknown database or
service, closed port, a host that never answers, PostgreSQL without pgvector.

The pool (asyncpg, python-oracledb) and the migration step (Alembic over SQLAlchemy)
raise different wrappers of the same driver errors; `connect_failure` looks through the
chain (`orig`, `__cause__`, `__context__`) for the driver's own error.
"""

from __future__ import annotations

import math
import socket
from collections.abc import Iterator

from repo.errors import (
    ConfigurationError,
    DatabaseError,
    DatabaseUnreachableError,
    MemrepoError,
)
from repo.urls import DatabaseURL

#: Seconds to wait for a server to accept a connection and answer its startup.
DEFAULT_CONNECT_TIMEOUT = 10.0


def validate_connect_timeout(value: object) -> float:
    """A connect timeout: a positive, finite number of seconds."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ConfigurationError(
            f"invalid connect_timeout {value!r}: use a positive number of seconds"
        )
    return float(value)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        for nxt in (getattr(e, "orig", None), e.__cause__, e.__context__):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


def _sqlstate(e: BaseException) -> str:
    return str(getattr(e, "sqlstate", "") or getattr(e, "pgcode", "") or "")


def _oracle_code(e: BaseException) -> tuple[str, int]:
    err = e.args[0] if e.args else None
    return str(getattr(err, "full_code", "") or ""), int(getattr(err, "code", 0) or 0)


_EXTENSION_HELP = (
    "install pgvector on the server (the package for your PostgreSQL version, e.g."
    " postgresql-17-pgvector, or a managed service's vector extension), then have a"
    " database owner run CREATE EXTENSION vector SCHEMA public"
)


def connect_failure(exc: BaseException, url: DatabaseURL, timeout: float) -> MemrepoError:
    """The memrepo error for a failure to connect or migrate (to raise `from exc`)."""
    where = url.describe()
    user = url.url.username or "(default user)"
    for e in _chain(exc):
        if isinstance(e, MemrepoError):
            return e
        state = _sqlstate(e)
        full_code, ora = _oracle_code(e)
        text = str(e)
        if state in ("28P01", "28000") or ora == 1017:
            return ConfigurationError(
                f"authentication failed for user {user!r} at {where}: check the user name and"
                " password in the URL (percent-encode special characters, e.g. @ as %40)"
            )
        if state == "3D000":
            return ConfigurationError(
                f"database {url.url.database!r} does not exist at {where}: create it"
                " (CREATE DATABASE) or fix the database name in the URL"
            )
        if ora in (12514, 12505) or full_code in ("DPY-6001", "DPY-6003"):
            return ConfigurationError(
                f"the Oracle listener at {where} does not know this service: fix the"
                " service name in the URL (oracle://user:pass@host:1521/SERVICE)"
            )
        if state in ("0A000", "58P01") and "vector" in text:
            return ConfigurationError(f"pgvector is not available at {where}: {_EXTENSION_HELP}")
        if state == "42501" and "extension" in text:
            return ConfigurationError(
                f"the user {user!r} may not create the pgvector extension at {where}: have a"
                " database owner or superuser run CREATE EXTENSION vector SCHEMA public once"
            )
        if state == "42501":
            return ConfigurationError(
                f"the user {user!r} lacks a privilege the migration needs at {where}: {text}"
                " (grant CREATE on the database, or migrate as the schema's owner)"
            )
        if isinstance(e, ConnectionRefusedError):
            return DatabaseUnreachableError(
                f"connection refused by {where}: is the database server running and"
                " listening on that host and port? check the URL"
            )
        if isinstance(e, TimeoutError) or full_code == "DPY-4005":
            return DatabaseUnreachableError(
                f"no answer from {where} within {timeout:g} s: check the host, port and"
                " firewall, or raise connect_timeout"
            )
        if isinstance(e, socket.gaierror):
            return DatabaseUnreachableError(
                f"cannot resolve the host of {where}: check the host name in the URL"
            )
        if isinstance(e, FileNotFoundError):
            return DatabaseUnreachableError(
                f"no server socket at {where}: is the server running, and is host= its"
                " socket directory?"
            )
    for e in _chain(exc):
        if isinstance(e, OSError) or type(e).__name__ in (
            "ConnectionDoesNotExistError",
            "CannotConnectNowError",
        ):
            return DatabaseUnreachableError(f"cannot connect to {where}: {e}")
    return DatabaseError(f"the database at {where} failed the operation: {exc}")
