"""`one_connection()` on PostgreSQL: one pooled connection held for a block of calls outside a
transaction (the combined recall's reads), one acquisition and one release instead of one
per statement. A read whose held connection died is retried once on a fresh connection,
which the block then keeps (`PostgresBackend.fetch`). A release after a clean finish
skips asyncpg's reset query (`release`). With read replicas the block holds a connection
on one replica, or on the primary when that replica fails.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from repo.backends.postgres.errors import DRIVER_ERRORS
from repo.backends.postgres.routing import fallback_warning
from repo.backends.postgres.session import Apply
from repo.backends.postgres.transactions import PostgresConnections
from repo.errors import MemrepoError


class OneConnection(PostgresConnections):
    """The connections of a pool, with `one_connection()`."""

    @contextlib.asynccontextmanager
    async def one_connection(self) -> AsyncIterator[None]:
        if self._conn.get() is not None or self._held.get() is not None:
            yield  # already on one connection
            return
        if self._replicas and self._reader.get() is None:
            # The reads go to one replica: hold a connection there, not here.
            reader: PostgresConnections = self._replicas.next()
            async with contextlib.AsyncExitStack() as stack:
                try:
                    await stack.enter_async_context(reader.one_connection())
                except MemrepoError as exc:
                    fallback_warning(exc, "the block's reads")
                    reader = self  # the primary, on a connection held here
                    await stack.enter_async_context(self._one_connection_here())
                token = self._reader.set(reader)
                try:
                    yield
                finally:
                    self._reader.reset(token)
            return
        async with self._one_connection_here():
            yield

    @contextlib.asynccontextmanager
    async def _one_connection_here(self) -> AsyncIterator[None]:
        """`one_connection()` on this backend's own pool."""
        if self._apply is Apply.TRANSACTION:
            # Behind a transaction pooler a connection is ours only inside a transaction.
            async with self.transaction():
                yield
            return
        try:
            held = [await self._acquire()]
        except DRIVER_ERRORS as exc:
            await self._fail(exc)
        token = self._held.set(held)
        clean = False
        try:
            yield
            clean = True
        finally:
            self._held.reset(token)
            # A failed release is the pool's to clean up (it discards the connection).
            with contextlib.suppress(*DRIVER_ERRORS):
                await self._release(held[0], clean=clean)

    async def _replace_held(self, held: list[Any]) -> None:
        """Swap the dead connection held by `one_connection()` for a fresh one."""
        with contextlib.suppress(*DRIVER_ERRORS):
            await self._pool.release(held[0])
        try:
            held[0] = await self._acquire()
        except DRIVER_ERRORS as exc:
            await self._fail(exc)
