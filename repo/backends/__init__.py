"""One module per driver: `postgres` (asyncpg) and `oracle` (python-oracledb)."""

from repo.backends.base import Backend, Capabilities

__all__ = ["Backend", "Capabilities"]
