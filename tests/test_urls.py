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
    assert asyncpg_url(url) == "postgresql://u:p@/db?host=/tmp/sock"
    assert sqlalchemy_url(url) == "postgresql+asyncpg://u:p@/db?host=/tmp/sock"


@pytest.mark.parametrize("name", ["public", "tenant_a", "_x1", "a" * 63])
def test_valid_schema_names(name: str) -> None:
    assert validate_schema_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "A", "1abc", "a-b", 'x"; drop table banks; --', "a b", "a" * 64, "é"]
)
def test_invalid_schema_names(name: str) -> None:
    with pytest.raises(ConfigurationError):
        validate_schema_name(name)
