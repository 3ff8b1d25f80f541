"""Database URLs: which backend a URL names, and the forms each driver and Alembic want."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from repo.errors import ConfigurationError

_PG_SCHEMES = {"postgresql", "postgres", "postgresql+asyncpg"}
_ORACLE_SCHEMES = {"oracle", "oracle+oracledb"}


def backend_name(url: str) -> str:
    """`postgresql` or `oracle`."""
    scheme = urlsplit(url).scheme.lower()
    if scheme in _PG_SCHEMES:
        return "postgresql"
    if scheme in _ORACLE_SCHEMES:
        return "oracle"
    raise ConfigurationError(
        f"unsupported URL scheme {scheme!r}: use postgresql://... or oracle://..."
    )


def asyncpg_url(url: str) -> str:
    """The URL asyncpg accepts (`postgresql://`)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql"))


def sqlalchemy_url(url: str) -> str:
    """The URL SQLAlchemy/Alembic use with a synchronous driver-free dialect.

    PostgreSQL: `postgresql+asyncpg://` (run through the async engine). Oracle:
    `oracle://u:p@h:port/SERVICE` becomes `oracle+oracledb://u:p@h:port/?service_name=SERVICE`.
    """
    name = backend_name(url)
    parts = urlsplit(url)
    if name == "postgresql":
        return urlunsplit(parts._replace(scheme="postgresql+asyncpg"))
    query = dict(parse_qsl(parts.query))
    service = parts.path.lstrip("/")
    if service:
        query.setdefault("service_name", service)
    return urlunsplit(parts._replace(scheme="oracle+oracledb", path="/", query=urlencode(query)))


#: The Oracle listener's default port.
ORACLE_DEFAULT_PORT = 1521


def oracle_connect_params(url: str) -> dict[str, Any]:
    """python-oracledb connect arguments (user, password, host, port, service_name) for
    `oracle://u:p@host:port/SERVICE` or `oracle+oracledb://u:p@host:port/?service_name=S`."""
    if backend_name(url) != "oracle":
        raise ConfigurationError(f"not an Oracle URL: {urlsplit(url).scheme}://...")
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    service = unquote(parts.path.lstrip("/")) or query.get("service_name", "")
    if not service:
        raise ConfigurationError("Oracle URL needs a service: oracle://user:pass@host:1521/SERVICE")
    try:
        port = parts.port or ORACLE_DEFAULT_PORT
    except ValueError:
        raise ConfigurationError("Oracle URL has an invalid port") from None
    params: dict[str, Any] = {
        "host": parts.hostname or "localhost",
        "port": port,
        "service_name": service,
    }
    if parts.username:
        params["user"] = unquote(parts.username)
    if parts.password is not None:
        params["password"] = unquote(parts.password)
    return params
