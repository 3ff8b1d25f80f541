"""Oracle migrations are serialised and the baseline is resumable (no server: the offline
script of tests/golden/oracle/migrations/, and the SQL the helpers build).

Oracle DDL commits itself: a baseline that fails after k statements leaves k statements'
objects and no `alembic_version` row, and the rerun runs the whole baseline again. The
check below replays that for every k against a model of the dictionary: an unguarded
CREATE of an object that exists fails with ORA-00955, as Oracle does; a guarded one
(23ai's IF NOT EXISTS, or a PL/SQL block that checks ALL_INDEXES) is skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.schema import CreateIndex

from repo.oracle_ddl import LOCK_NOT_GRANTED, guarded_index, lock_block, unlock_block
from tests.golden_tool import DIALECTS, GOLDEN_DIR
from tests.sqlglot_compat import split_script

UPGRADE = GOLDEN_DIR / "oracle" / "migrations" / "upgrade.sql"


def _baseline_statements(path: Path = UPGRADE) -> list[str]:
    """The statements of revision 0001 in the offline Oracle upgrade script."""
    script = path.read_text(encoding="utf-8")
    start = script.index("-- Running upgrade  -> 0001")
    nxt = script.find("-- Running upgrade 0001 ->", start)
    body = script[start : nxt if nxt >= 0 else len(script)]
    version_rows = ("INSERT INTO alembic_version", "UPDATE alembic_version")
    return [s for s in split_script(body) if not s.startswith(version_rows)]


_GUARDED = re.compile(
    r"^DECLARE\s.*?index_name = '(?P<checked>\w+)'.*?IF n = 0 THEN\s+"
    r"EXECUTE IMMEDIATE q'~(?P<ddl>.*?)~';",
    re.S,
)
_CREATE = re.compile(
    r"^CREATE\s+(?:UNIQUE\s+|VECTOR\s+)?(?P<kind>TABLE|INDEX)\s+"
    r"(?P<ine>IF NOT EXISTS\s+)?(?P<name>\w+)",
    re.I,
)


def _effect(statement: str) -> tuple[str, bool]:
    """(object created, guarded?) for one CREATE statement of the baseline."""
    guarded = _GUARDED.match(statement)
    if guarded:
        created = _CREATE.match(guarded.group("ddl"))
        assert created, statement
        assert guarded.group("checked") == created.group("name").upper(), "checks another index"
        return created.group("name").upper(), True
    created = _CREATE.match(statement)
    assert created, f"not a CREATE: {statement[:80]}"
    return created.group("name").upper(), bool(created.group("ine"))


def _rerun_failures(statements: list[str], done: int) -> list[str]:
    """ORA-00955 failures of a full rerun after the first `done` statements succeeded."""
    present = {_effect(s)[0] for s in statements[:done]}
    failures = []
    for statement in statements:
        name, guarded = _effect(statement)
        if name in present and not guarded:
            failures.append(f"ORA-00955 on {name}")
        present.add(name)
    return failures


def test_baseline_rerun_after_any_partial_failure_succeeds() -> None:
    statements = _baseline_statements()
    assert len(statements) > 20
    for done in range(len(statements) + 1):
        failures = _rerun_failures(statements, done)
        assert not failures, f"rerun after {done} statements: {failures[:3]}"


def test_model_catches_an_unguarded_baseline() -> None:
    """The check fails on the baseline as it was (plain CREATE TABLE / INDEX)."""
    plain = ["CREATE TABLE banks (\n    bank_id VARCHAR2(255 CHAR)\n)",
             "CREATE INDEX ix_a ON banks (bank_id)"]  # fmt: skip
    assert _rerun_failures(plain, 1) == ["ORA-00955 on BANKS"]


def test_vector_and_text_indexes_are_checked_in_the_dictionary() -> None:
    statements = _baseline_statements()
    guarded = {_effect(s)[0] for s in statements if s.startswith("DECLARE")}
    assert guarded == {"IXO_MEMORY_UNITS_EMBEDDING", "IXO_MEMORY_UNITS_TEXT"}
    text = next(s for s in statements if "IXO_MEMORY_UNITS_TEXT" in s)
    assert "domidx_opstatus = 'FAILED'" in text and "DROP INDEX ixo_memory_units_text FORCE" in text
    # ALL_INDEXES of the migrating schema (CURRENT_SCHEMA), not USER_INDEXES of the login user.
    assert all("owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA')" in s for s in statements
               if s.startswith("DECLARE"))  # fmt: skip


def test_guarded_index_rejects_what_it_cannot_quote() -> None:
    with pytest.raises(ValueError):
        guarded_index("ix'; DROP TABLE x; --", "CREATE INDEX x ON t (a)")
    with pytest.raises(ValueError):
        guarded_index("ix_a", "CREATE INDEX ix_a ON t (a) -- ~'")


def test_create_index_if_not_exists_compiles_for_oracle() -> None:
    table = sa.Table("t", sa.MetaData(), sa.Column("a", sa.Integer))
    index = sa.Index("ix_t_a", table.c.a)
    oracle = DIALECTS["oracle"]
    assert str(CreateIndex(index, if_not_exists=True).compile(dialect=oracle)) == (
        "CREATE INDEX IF NOT EXISTS ix_t_a ON t (a)"
    )
    assert str(CreateIndex(index).compile(dialect=oracle)) == "CREATE INDEX ix_t_a ON t (a)"
    unique = sa.Index("ux_t_a", table.c.a, unique=True)
    assert str(CreateIndex(unique, if_not_exists=True).compile(dialect=oracle)).startswith(
        "CREATE UNIQUE INDEX IF NOT EXISTS ux_t_a"
    )


def test_offline_script_takes_the_migration_lock_around_everything() -> None:
    for script in ("upgrade", "downgrade"):
        statements = split_script(
            (GOLDEN_DIR / "oracle" / "migrations" / f"{script}.sql").read_text(encoding="utf-8")
        )
        assert statements[0] == lock_block(), script
        assert statements[-2:] == ["COMMIT", unlock_block()], script


def test_lock_is_session_level_and_exclusive() -> None:
    block = lock_block(7)
    # release_on_commit => FALSE: the implicit commit of every DDL must not release it.
    assert "DBMS_LOCK.REQUEST(handle, DBMS_LOCK.X_MODE, 7, FALSE)" in block
    assert "SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA')" in block  # one lock per schema
    assert "IF status NOT IN (0, 4) THEN" in block  # 4 = this session already holds it
    assert f"RAISE_APPLICATION_ERROR(-{LOCK_NOT_GRANTED}" in block
    assert "DBMS_LOCK.RELEASE(handle)" in unlock_block()


def test_online_oracle_migrations_lock_before_and_unlock_after() -> None:
    """env.py's Oracle path: lock, run, unlock in a `finally` (so a failed migration on a
    caller's connection does not keep the lock)."""
    env = (Path(__file__).resolve().parent.parent / "alembic" / "env.py").read_text()
    body = env[env.index("def do_run_migrations") : env.index("async def run_async_migrations")]
    lock = body.index("lock_block()")
    run = body.index("context.run_migrations()", lock)
    finally_ = body.index("finally:", run)
    assert lock < run < finally_ < body.index("unlock_block()", finally_)
