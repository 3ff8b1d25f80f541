"""Oracle's full reserved-word list guards every statement's names (repo/sql/cache.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.oracle.base import RESERVED_WORDS as SQLALCHEMY_ORACLE_RESERVED

from repo.sql.cache import compile_statement
from repo.sql.oracle_reserved import ORACLE_RESERVED_WORDS, is_reserved
from schema.tables import metadata
from tests.golden_tool import DIALECTS

ORACLE = DIALECTS["oracle"]
#: The words the issue found missing from SQLAlchemy's list (Oracle SQL Language Reference).
_MISSING = (
    "ACCESS ADD AUDIT COLUMN FILE IMMEDIATE INCREMENT INITIAL MAXEXTENTS MLSLABEL MODIFY "
    "NOAUDIT OFFLINE ONLINE ROW ROWID ROWNUM ROWS SESSION SUCCESSFUL SYSDATE VALIDATE "
    "WHENEVER"
)
MISSING_FROM_SQLALCHEMY = set(_MISSING.split())
things = sa.Table(
    "things", sa.MetaData(), sa.Column("id", sa.Integer), sa.Column("successful", sa.Integer)
)


def test_list_is_the_documented_one() -> None:
    assert {w.upper() for w in SQLALCHEMY_ORACLE_RESERVED} <= ORACLE_RESERVED_WORDS
    assert MISSING_FROM_SQLALCHEMY <= ORACLE_RESERVED_WORDS
    assert not MISSING_FROM_SQLALCHEMY & {w.upper() for w in SQLALCHEMY_ORACLE_RESERVED}
    assert len(ORACLE_RESERVED_WORDS) == 111
    assert is_reserved("oracle", "rows") and not is_reserved("postgresql", "rows")


@pytest.mark.parametrize(
    ("stmt", "name"),
    [
        (
            sa.select(sa.literal_column("1")).where(sa.literal_column("x") == sa.bindparam("rows")),
            "rows",
        ),
        (sa.select(sa.bindparam("a", type_=sa.Integer).label("session")), "session"),
        (sa.select(things.c.id), "successful"),
        (sa.select(sa.func.count().label("n")).select_from(things.alias("rowid")), "rowid"),
    ],
    ids=["bind name", "label", "table column", "alias"],
)
def test_statement_with_a_reserved_name_is_rejected(
    stmt: sa.Select[tuple[object]], name: str
) -> None:
    with pytest.raises(ValueError, match=f"oracle reserved words as names: .*'{name}'"):
        compile_statement("t.bad", stmt, ORACLE)
    compile_statement("t.bad", stmt, DIALECTS["postgresql"])  # PostgreSQL does not care


def test_no_table_or_column_of_the_schema_is_reserved() -> None:
    names = {t.name for t in metadata.tables.values()}
    names |= {c.name for t in metadata.tables.values() for c in t.columns}
    assert not sorted(n for n in names if n.upper() in ORACLE_RESERVED_WORDS)
