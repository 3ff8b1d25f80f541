"""The compiled-statement cache: every statement compiles for both dialects, once per shape."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.oracle import oracledb
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg

import repo.store  # noqa: F401  (registers every repository statement)
from repo.errors import StatementParameterError
from repo.sql import REGISTRY, Statement, StatementFamily, flag_shapes
from repo.sql.cache import compile_statement
from schema.tables import memory_units

PG = pg_asyncpg.dialect()
ORACLE = oracledb.dialect()


def _dialects(stmt: Statement) -> list[sa.engine.interfaces.Dialect]:
    return [d for d in (PG, ORACLE) if stmt.only in (None, d.name)]


def test_every_statement_compiles_for_both_dialects() -> None:
    statements = REGISTRY.all_statements()
    assert len(statements) > 50
    for stmt in statements:
        for dialect in _dialects(stmt):
            compiled = stmt.compiled(dialect)
            assert compiled.sql.strip(), stmt.name
            assert "POSTCOMPILE" not in compiled.sql, stmt.name


def test_postgres_statements_are_positional_and_oracle_named() -> None:
    stmt = REGISTRY.all_statements()[0]
    assert stmt.compiled(PG).positional
    assert "$1" in stmt.compiled(PG).sql
    if stmt.only is None:
        assert not stmt.compiled(ORACLE).positional


def test_repeated_parameter_is_bound_once() -> None:
    q = sa.select(memory_units.c.id).where(
        memory_units.c.bank_id == sa.bindparam("b"), memory_units.c.chunk_id == sa.bindparam("b")
    )
    compiled = compile_statement("t", q, PG)
    assert compiled.params == ("b",)
    assert compiled.args({"b": "x"}) == ["x"]


def test_missing_parameter_is_a_typed_error() -> None:
    stmt = Statement("test.missing", sa.select(memory_units.c.id).where(
        memory_units.c.bank_id == sa.bindparam("bank_id")), register=False)  # fmt: skip
    try:
        stmt.compiled(PG).args({})
    except StatementParameterError as exc:
        assert "bank_id" in str(exc)
    else:
        raise AssertionError("missing parameter not reported")


def test_literal_values_are_rejected_at_compile_time() -> None:
    q = sa.select(memory_units.c.id).where(memory_units.c.proof_count > 3)
    try:
        compile_statement("t", q, PG)
    except ValueError as exc:
        assert "literal" in str(exc)
    else:
        raise AssertionError("a literal bound value slipped into a cached statement")


def test_limit_is_a_bound_parameter_on_oracle() -> None:
    q = sa.select(memory_units.c.id).limit(sa.bindparam("limit"))
    sql = compile_statement("t", q, ORACLE).sql
    assert "FETCH FIRST :limit ROWS ONLY" in sql


def test_family_builds_each_shape_once() -> None:
    calls: list[tuple[bool, bool]] = []

    def build(a: bool, b: bool) -> sa.Select[tuple[object]]:
        calls.append((a, b))
        return sa.select(memory_units.c.id).where(memory_units.c.bank_id == sa.bindparam("x"))

    fam = StatementFamily("test.family_once", build, flag_shapes("a", "b"))
    for _ in range(3):
        for shape in fam.all_shapes:
            assert fam.shape(**shape) is fam.shape(**shape)
    assert sorted(calls) == sorted({(s["a"], s["b"]) for s in fam.all_shapes})


def test_statement_names_are_unique() -> None:
    names = [s.name for s in REGISTRY.all_statements()]
    assert len(names) == len(set(names))
