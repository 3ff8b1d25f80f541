"""Driver errors: their memrepo error, and what a lost connection looks like.

Which errors show that an established connection died (so the pool's connections are
expired and what cannot have run is retried once), and the guard that ends a bulk write
(COPY, executemany) as soon as its connection dies.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, NoReturn

import asyncpg

from repo.errors import (
    ConflictError,
    ConnectionLostError,
    DatabaseError,
    DeadlockError,
    StatementTimeoutError,
    ValidationError,
)
from repo.sql.cache import Statement


def translate_error(exc: BaseException) -> NoReturn:
    """Raise the memrepo error for a driver error (the original is chained)."""
    if isinstance(exc, asyncpg.QueryCanceledError):
        raise StatementTimeoutError(str(exc)) from exc
    if isinstance(exc, asyncpg.DeadlockDetectedError | asyncpg.SerializationError):
        raise DeadlockError(str(exc)) from exc  # 40P01, 40001: retryable
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        raise ConflictError(str(exc)) from exc
    if isinstance(exc, asyncpg.DataError):
        raise ValidationError("value", str(exc)) from exc
    if isinstance(
        exc,
        asyncpg.ConnectionDoesNotExistError
        | asyncpg.AdminShutdownError
        | asyncpg.CrashShutdownError
        | asyncpg.CannotConnectNowError
        | asyncpg.InterfaceError
        | ConnectionError
        | OSError,
    ):
        raise ConnectionLostError(str(exc)) from exc
    if isinstance(exc, asyncpg.InternalClientError):
        # "cannot switch to state ...": the protocol met a server message it did not
        # expect (the FATAL of a terminated session); the connection is unusable.
        raise ConnectionLostError(f"connection broken: {exc}") from exc
    if isinstance(exc, asyncpg.PostgresError):
        raise DatabaseError(str(exc)) from exc
    raise exc


DRIVER_ERRORS = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
)

#: Errors that show an established connection died: the server closed it (restart,
#: `pg_terminate_backend`, crash) or the socket broke.
LOST = (
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    ConnectionResetError,
    ConnectionAbortedError,
    BrokenPipeError,
)

#: Errors after which a connection cannot be trusted and work that cannot have run is
#: retried on a fresh one: the above, and a protocol left in a broken state by a server
#: message it did not expect (e.g. the FATAL a terminated session sends while idle).
RETRY = (*LOST, asyncpg.InternalClientError)


def is_closed(conn: Any) -> bool:
    """Whether a pooled connection is closed. The pool detaches the proxy of a connection
    that closed under it, and the proxy then raises on every call."""
    try:
        return bool(conn.is_closed())
    except asyncpg.InterfaceError:
        return True


@contextlib.asynccontextmanager
async def ends_when_lost(conn: Any) -> AsyncIterator[None]:
    """Raise `ConnectionDoesNotExistError` as soon as `conn` dies, even while the driver waits.

    asyncpg's COPY and `executemany` writers wait for the transport to accept more data
    (flow control) while the server is not reading. If the connection dies then, nothing
    wakes them: the protocol fails the pending result but leaves its write gate closed,
    and the call never returns (asyncpg 0.32; `timeout=` does not bound that wait in COPY).
    A termination listener ends the wait by expiring a timeout around the call, which
    asyncpg handles as a cancellation (it abandons the write and cleans up).
    """
    loop = asyncio.get_running_loop()
    lost = False
    active = True
    try:
        async with asyncio.timeout(None) as deadline:

            def on_lost(_conn: Any) -> None:
                nonlocal lost
                if active and not lost:
                    lost = True
                    deadline.reschedule(loop.time())

            conn.add_termination_listener(on_lost)
            try:
                yield
            finally:
                active = False
                with contextlib.suppress(asyncpg.InterfaceError):
                    conn.remove_termination_listener(on_lost)
    except TimeoutError:
        if not lost:
            raise
        raise asyncpg.ConnectionDoesNotExistError(
            "connection was closed in the middle of a bulk write"
        ) from None


def is_concurrent_use(exc: BaseException) -> bool:
    """asyncpg refusing a second operation on a busy connection (before sending it: the
    running one and the connection are unaffected)."""
    return isinstance(exc, asyncpg.InterfaceError) and "another operation is in progress" in str(
        exc
    )


def is_select(stmt: Statement) -> bool:
    """A read, safe to run again (SELECT, UNION, also FOR UPDATE: its locks die with it)."""
    return bool(getattr(stmt.stmt, "is_select", False))
