"""Oracle migration helpers: the migrators' lock, and DDL that a rerun skips.

Oracle DDL commits itself, so a migration that fails part-way leaves its tables behind and
no `alembic_version` row, and a rerun fails with ORA-00955 ("name is already used").

- **One migrator per schema.** `lock_block()` takes a session-level `DBMS_LOCK` lock named
  after the session's CURRENT_SCHEMA (`release_on_commit => FALSE`: the implicit commits of
  DDL do not release it, which is why a lock *row* would not do), and `unlock_block()`
  releases it; a session that dies releases it too. A second migrator waits up to
  `LOCK_TIMEOUT_S` seconds, then fails with ORA-20101. Needs `EXECUTE ON SYS.DBMS_LOCK`.
- **Resumable DDL.** Tables and B-tree indexes use 23ai's `IF NOT EXISTS` (`IF EXISTS` to
  drop); the vector and Oracle Text indexes, added or dropped columns and dropped
  triggers run from a PL/SQL block that checks the data dictionary first (`guarded_index`,
  `guarded_column`, `guarded_drop_trigger`). A text index left FAILED by an interrupted
  build is dropped and built again. What the statements create is unchanged.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateIndex
from sqlalchemy.sql.compiler import DDLCompiler

#: Seconds a migrator waits for another one on the same schema.
LOCK_TIMEOUT_S = 300
#: ORA-20101 (raised by `lock_block`): the lock was not granted.
LOCK_NOT_GRANTED = 20101

_LOCK_NAME = "'memrepo.migrate.' || SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA')"


def lock_block(timeout_s: int = LOCK_TIMEOUT_S) -> str:
    """PL/SQL that takes this schema's migration lock (exclusive, held until released or
    the session ends). DBMS_LOCK.ALLOCATE_UNIQUE commits, so run it before any change."""
    return (
        "DECLARE\n"
        "    handle VARCHAR2(128);\n"
        "    status INTEGER;\n"
        "BEGIN\n"
        f"    DBMS_LOCK.ALLOCATE_UNIQUE({_LOCK_NAME}, handle);\n"
        f"    status := DBMS_LOCK.REQUEST(handle, DBMS_LOCK.X_MODE, {int(timeout_s)}, FALSE);\n"
        "    IF status NOT IN (0, 4) THEN\n"
        f"        RAISE_APPLICATION_ERROR(-{LOCK_NOT_GRANTED}, 'memrepo: migration lock '\n"
        f"            || {_LOCK_NAME} || ' not granted (DBMS_LOCK.REQUEST returned '\n"
        "            || status || '; 1 = another migrator still holds it)');\n"
        "    END IF;\n"
        "END;"
    )


def unlock_block() -> str:
    """PL/SQL that releases this schema's migration lock (a no-op when not held)."""
    return (
        "DECLARE\n"
        "    handle VARCHAR2(128);\n"
        "    status INTEGER;\n"
        "BEGIN\n"
        f"    DBMS_LOCK.ALLOCATE_UNIQUE({_LOCK_NAME}, handle);\n"
        "    status := DBMS_LOCK.RELEASE(handle);\n"
        "END;"
    )


def guarded_index(name: str, ddl: str, *, domain: bool = False) -> str:
    """PL/SQL that runs `ddl` (a CREATE ... INDEX `name`) unless the index exists in the
    current schema. `domain`: an Oracle Text index; one whose build failed
    (DOMIDX_OPSTATUS = 'FAILED') is dropped (FORCE) and built again.

    23ai's IF NOT EXISTS is documented for CREATE INDEX; the vector and domain index forms
    are checked in the dictionary instead, which works whatever the release accepts.
    """
    index = name.upper()
    if not index.replace("_", "").isalnum() or "~" in ddl:
        raise ValueError(f"unexpected index name or DDL: {name!r}")
    where = f"owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND index_name = '{index}'"
    failed = ""
    if domain:
        failed = (
            "    SELECT COUNT(*) INTO n FROM all_indexes\n"
            f"        WHERE {where} AND domidx_opstatus = 'FAILED';\n"
            "    IF n > 0 THEN\n"
            f"        EXECUTE IMMEDIATE 'DROP INDEX {name} FORCE';\n"
            "    END IF;\n"
        )
    return (
        "DECLARE\n"
        "    n PLS_INTEGER;\n"
        "BEGIN\n"
        f"{failed}"
        f"    SELECT COUNT(*) INTO n FROM all_indexes WHERE {where};\n"
        "    IF n = 0 THEN\n"
        f"        EXECUTE IMMEDIATE q'~{ddl}~';\n"
        "    END IF;\n"
        "END;"
    )


_VIEWS = {"COLUMN": "all_tab_columns", "TRIGGER": "all_triggers"}


def _checked(name: str, ddl: str) -> str:
    if not name.replace("_", "").isalnum() or "~" in ddl:
        raise ValueError(f"unexpected name or DDL: {name!r}")
    return name.upper()


def guarded_column(table: str, column: str, ddl: str, *, drop: bool = False) -> str:
    """PL/SQL that runs `ddl` (an ALTER TABLE that adds `column` to `table`; with `drop`,
    one that drops it) unless the current schema's table already has (lacks) it."""
    where = f"table_name = '{_checked(table, ddl)}' AND column_name = '{_checked(column, ddl)}'"
    return _guarded("COLUMN", where, ddl, present=drop)


def guarded_drop_trigger(name: str) -> str:
    """PL/SQL that drops a trigger of the current schema unless it is gone already."""
    ddl = f"DROP TRIGGER {name}"
    return _guarded("TRIGGER", f"trigger_name = '{_checked(name, ddl)}'", ddl, present=True)


def _guarded(kind: str, where: str, ddl: str, *, present: bool) -> str:
    view = _VIEWS[kind]
    return (
        "DECLARE\n"
        "    n PLS_INTEGER;\n"
        "BEGIN\n"
        f"    SELECT COUNT(*) INTO n FROM {view}\n"
        f"        WHERE owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND {where};\n"
        f"    IF n {'>' if present else '='} 0 THEN\n"
        f"        EXECUTE IMMEDIATE q'~{ddl}~';\n"
        "    END IF;\n"
        "END;"
    )


@compiles(CreateIndex, "oracle")
def _create_index_if_not_exists(element: CreateIndex, compiler: DDLCompiler, **kw: Any) -> str:
    """SQLAlchemy's Oracle dialect drops `if_not_exists` from CREATE INDEX; 23ai has it."""
    sql: str = compiler.visit_create_index(element, **kw)  # type: ignore[no-untyped-call]
    if element.if_not_exists and " IF NOT EXISTS " not in sql:
        head, sep, rest = sql.partition(" INDEX ")
        sql = f"{head} INDEX IF NOT EXISTS {rest}" if sep else sql
    return sql


def guarded_drop_index(name: str) -> str:
    """PL/SQL that drops index `name` (FORCE: an Oracle Text index in any state) if it
    exists in the current schema; a no-op otherwise, so a rerun skips it."""
    index = name.upper()
    if not index.replace("_", "").isalnum():
        raise ValueError(f"unexpected index name: {name!r}")
    where = f"owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') AND index_name = '{index}'"
    return (
        "DECLARE\n"
        "    n PLS_INTEGER;\n"
        "BEGIN\n"
        f"    SELECT COUNT(*) INTO n FROM all_indexes WHERE {where};\n"
        "    IF n > 0 THEN\n"
        f"        EXECUTE IMMEDIATE q'~DROP INDEX {name} FORCE~';\n"
        "    END IF;\n"
        "END;"
    )
