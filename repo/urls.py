"""Database URLs: parsed once (SQLAlchemy's `make_url`) into a `DatabaseURL`, from which the
forms each driver and Alembic want are derived.

PostgreSQL: the pool and the migration step both connect with asyncpg from the same DSN
(the migration's SQLAlchemy engine gets its connections from asyncpg too), so every libpq
parameter asyncpg understands (`sslmode`, `sslrootcert`, `application_name`, `options`,
`host=/socket/dir`, several hosts, IPv6 `[::1]`, percent-encoded user and password) works
for both. Oracle: `oracle://u:p@host:port/SERVICE`, or `oracle+oracledb://...?service_name=`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from repo.errors import ConfigurationError

_BACKENDS = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "postgresql+asyncpg": "postgresql",
    "oracle": "oracle",
    "oracle+oracledb": "oracle",
}

#: The Oracle listener's default port.
ORACLE_DEFAULT_PORT = 1521


@dataclass(frozen=True, slots=True)
class DatabaseURL:
    """One parsed database URL and the backend it names."""

    url: URL
    backend: str

    @classmethod
    def parse(cls, raw: str | URL | DatabaseURL) -> DatabaseURL:
        """Parse a URL; a malformed one or an unknown scheme is a `ConfigurationError`."""
        if isinstance(raw, DatabaseURL):
            return raw
        try:
            url = make_url(raw)
            url.port  # noqa: B018 - make_url checks the port lazily on some inputs
        except (ArgumentError, ValueError, TypeError) as exc:
            raise ConfigurationError(
                f"invalid database URL: {exc}; use postgresql://user:password@host:port/db"
                " or oracle://user:password@host:port/SERVICE (percent-encode special"
                " characters in the user name and password)"
            ) from None
        backend = _BACKENDS.get(url.drivername.lower())
        if backend is None:
            raise ConfigurationError(
                f"unsupported URL scheme {url.drivername!r}: use postgresql://... or oracle://..."
            )
        return cls(url, backend)

    def asyncpg_dsn(self) -> str:
        """The DSN asyncpg connects with: the same URL as `postgresql://`, query kept."""
        return self.url.set(drivername="postgresql").render_as_string(hide_password=False)

    def sqlalchemy_url(self) -> URL:
        """The URL of the SQLAlchemy engine Alembic migrates through.

        PostgreSQL: `postgresql+asyncpg://` (the migration engine takes its connections
        from asyncpg with `asyncpg_dsn()`, so the libpq query is not handed to SQLAlchemy's
        connect). Oracle: `oracle+oracledb://` with the service as `service_name`.
        """
        if self.backend == "postgresql":
            return self.url.set(drivername="postgresql+asyncpg")
        query = dict(self.url.query)
        if self.url.database:
            query.setdefault("service_name", self.url.database)
        return self.url.set(drivername="oracle+oracledb", database="", query=query)

    def oracle_connect_params(self) -> dict[str, Any]:
        """python-oracledb connect arguments (user, password, host, port, service_name)."""
        if self.backend != "oracle":
            raise ConfigurationError(f"not an Oracle URL: {self.url.drivername}://...")
        service = self.url.database or str(self.url.query.get("service_name") or "")
        if not service:
            raise ConfigurationError(
                "Oracle URL needs a service: oracle://user:pass@host:1521/SERVICE"
            )
        params: dict[str, Any] = {
            "host": self.url.host or "localhost",
            "port": self.url.port or ORACLE_DEFAULT_PORT,
            "service_name": service,
        }
        if self.url.username:
            params["user"] = self.url.username
        if self.url.password is not None:
            params["password"] = str(self.url.password)
        return params

    def describe(self) -> str:
        """Host, port and database for messages (never the password)."""
        host = self.url.host or str(self.url.query.get("host") or "localhost")
        port = f":{self.url.port}" if self.url.port else ""
        return f"{host}{port}/{self.url.database or ''}"


def backend_name(url: str | DatabaseURL) -> str:
    """`postgresql` or `oracle`."""
    return DatabaseURL.parse(url).backend


def asyncpg_url(url: str | DatabaseURL) -> str:
    """The DSN asyncpg accepts (`postgresql://`, every query parameter kept)."""
    return DatabaseURL.parse(url).asyncpg_dsn()


def sqlalchemy_url(url: str | DatabaseURL) -> str:
    """`DatabaseURL.sqlalchemy_url()` as a string (password included)."""
    return DatabaseURL.parse(url).sqlalchemy_url().render_as_string(hide_password=False)


def oracle_connect_params(url: str | DatabaseURL) -> dict[str, Any]:
    """python-oracledb connect arguments for `oracle://u:p@host:port/SERVICE` or
    `oracle+oracledb://u:p@host:port/?service_name=S`."""
    return DatabaseURL.parse(url).oracle_connect_params()
