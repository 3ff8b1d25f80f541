"""Portable types render correctly on both dialects (SQLAlchemy's Oracle defaults are wrong)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.oracle import oracledb
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg
from sqlalchemy.schema import CreateTable

from schema import types
from schema.tables import metadata

PG = pg_asyncpg.dialect()
ORACLE = oracledb.dialect()


def render(t: sa.types.TypeEngine[object], dialect: sa.engine.interfaces.Dialect) -> str:
    return t.compile(dialect=dialect)


def test_types_per_dialect() -> None:
    expected = {
        "uuid_type": ("UUID", "RAW(16)"),
        "json_type": ("JSONB", "JSON"),
        "timestamp_type": ("TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITH TIME ZONE"),
        "text_list_type": ("TEXT[]", "JSON"),
        "uuid_list_type": ("UUID[]", "JSON"),
        "long_text": ("TEXT", "CLOB"),
    }
    for name, (pg, ora) in expected.items():
        t = getattr(types, name)()
        assert render(t, PG) == pg, name
        assert render(t, ORACLE) == ora, name
    assert render(types.embedding_type(384), PG) == "VECTOR(384)"
    assert render(types.embedding_type(384), ORACLE).startswith("VECTOR(384,FLOAT32")
    assert render(types.short_text(), ORACLE) == "VARCHAR2(255 CHAR)"


def test_no_oracle_date_or_char32_anywhere() -> None:
    for table in metadata.sorted_tables:
        ddl = str(CreateTable(table).compile(dialect=ORACLE))
        assert " DATE" not in ddl, table.name
        assert "CHAR(32)" not in ddl, table.name


def test_every_table_is_keyed_by_bank() -> None:
    for table in metadata.sorted_tables:
        assert "bank_id" in table.c, table.name


def test_constraints_and_indexes_are_named() -> None:
    for table in metadata.sorted_tables:
        for constraint in table.constraints:
            assert constraint.name, (table.name, constraint)
        for index in table.indexes:
            assert index.name, (table.name, index)
