"""What a memrepo pool does when a connection goes back: asyncpg's reset query, unless
memrepo's own calls left the connection as they found it.

asyncpg resets every released connection with one more round trip
(`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`). memrepo's calls on
its own pool change no session state: the settings ride on the startup packet, knobs are
`SET LOCAL`, locks are row locks or transaction-scoped, there are no cursors and no
`LISTEN`. So a connection memrepo used and released after a clean finish (no error, no
cancellation, its transaction committed) is marked, and the pool skips the reset query for
it. Any other release (an error, a tenant's `SET` on the shared pool, a connection the
application acquired from `backend.pool`) runs the full reset. asyncpg still rolls back a
transaction left open and drops listeners before the reset hook runs.
"""

from __future__ import annotations

import weakref
from typing import Any


class CleanReleases:
    """Connections released by memrepo with no session state changed (held weakly; pool
    proxies are resolved to the connection they lend)."""

    def __init__(self) -> None:
        self._clean: weakref.WeakSet[Any] = weakref.WeakSet()

    @staticmethod
    def _raw(conn: Any) -> Any:
        return getattr(conn, "_con", None) or conn

    def mark(self, conn: Any) -> None:
        """Let the next release of `conn` skip the reset query."""
        self._clean.add(self._raw(conn))

    def take(self, conn: Any) -> bool:
        """Whether `conn` was marked; the mark is used up (it covers one release)."""
        raw = self._raw(conn)
        if raw in self._clean:
            self._clean.discard(raw)
            return True
        return False


#: Connections whose next release skips the reset query.
CLEAN = CleanReleases()


async def reset_unless_clean(conn: Any) -> None:
    """The `reset` of every pool memrepo creates: asyncpg's reset query, unless memrepo
    marked the connection clean for this release."""
    if CLEAN.take(conn):
        return
    query = conn.get_reset_query()
    if query:
        await conn.execute(query)
