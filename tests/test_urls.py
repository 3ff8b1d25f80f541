"""URLs: which backend a URL names and the forms the drivers and Alembic need."""

from __future__ import annotations

import pytest

from repo.backends.base import validate_schema_name
from repo.errors import ConfigurationError
from repo.urls import asyncpg_url, backend_name, sqlalchemy_url


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("postgresql://u:p@h:5432/db", "postgresql"),
        ("postgres://u@h/db", "postgresql"),
        ("postgresql+asyncpg://u@h/db", "postgresql"),
        ("oracle://u:p@h:1521/FREEPDB1", "oracle"),
        ("oracle+oracledb://u:p@h:1521/?service_name=FREEPDB1", "oracle"),
    ],
)
def test_backend_name(url: str, name: str) -> None:
    assert backend_name(url) == name


def test_unknown_scheme_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="mysql"):
        backend_name("mysql://u@h/db")


def test_oracle_service_path_becomes_service_name() -> None:
    assert (
        sqlalchemy_url("oracle://u:p@h:1521/FREEPDB1")
        == "oracle+oracledb://u:p@h:1521/?service_name=FREEPDB1"
    )
    already = "oracle+oracledb://u:p@h:1521/?service_name=FREEPDB1"
    assert sqlalchemy_url(already) == already


def test_postgres_forms() -> None:
    url = "postgres://u:p@/db?host=/tmp/sock"
    assert asyncpg_url(url) == "postgresql://u:p@/db?host=%2Ftmp%2Fsock"
    assert sqlalchemy_url(url) == "postgresql+asyncpg://u:p@/db?host=%2Ftmp%2Fsock"


@pytest.mark.parametrize(
    ("url", "host", "port", "password", "query"),
    [
        ("postgresql://u:p%40s%2Fw%3A%25@h/db", "h", None, "p@s/w:%", {}),
        ("postgresql://u:p@[::1]:6543/db", "::1", 6543, "p", {}),
        ("postgresql://u@/db?host=/run/pg", None, None, None, {"host": "/run/pg"}),
        (
            "postgresql://u@h/db?sslmode=require&application_name=a%20b&options=-c%20x%3D1",
            "h",
            None,
            None,
            {"sslmode": "require", "application_name": "a b", "options": "-c x=1"},
        ),
    ],
)
def test_one_parse_gives_every_form(
    url: str, host: str | None, port: int | None, password: str | None, query: dict[str, str]
) -> None:
    from repo.urls import DatabaseURL

    db = DatabaseURL.parse(url)
    assert (db.url.host, db.url.port, db.url.password, dict(db.url.query)) == (
        host,
        port,
        password,
        query,
    )
    again = DatabaseURL.parse(db.asyncpg_dsn())  # the DSN round-trips every part
    assert (again.url.host, again.url.port, again.url.password) == (host, port, password)
    assert dict(again.url.query) == query
    assert dict(db.sqlalchemy_url().query) == query


@pytest.mark.parametrize("name", ["public", "tenant_a", "_x1", "a" * 63])
def test_valid_schema_names(name: str) -> None:
    assert validate_schema_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "A", "1abc", "a-b", 'x"; drop table banks; --', "a b", "a" * 64, "é"]
)
def test_invalid_schema_names(name: str) -> None:
    with pytest.raises(ConfigurationError):
        validate_schema_name(name)
