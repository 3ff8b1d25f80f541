"""Database URLs: which backend a URL names, and the forms each driver and Alembic want."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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
