"""The Oracle halves of revisions 0002 and later are resumable (no server: the offline
script of tests/golden/oracle/migrations/).

Oracle DDL commits itself: a revision that fails after k statements leaves their objects
(and any rows a DDL after them committed) and no new `alembic_version` row, so the rerun
runs the whole revision again. The check replays that for every k against a model of the
dictionary: an unguarded CREATE or ADD of an object that exists fails (ORA-00955,
ORA-01430), an unguarded DROP of one that is gone fails (ORA-00942, ORA-01418,
ORA-00904), and an INSERT whose earlier rows were committed counts them twice unless the
rerun deleted them first. Guarded statements (23ai IF [NOT] EXISTS, CREATE OR REPLACE, a
PL/SQL block that checks the dictionary) are skipped when their work is done.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from repo.oracle_ddl import guarded_column, guarded_drop_trigger
from tests.golden_tool import GOLDEN_DIR
from tests.sqlglot_compat import split_script

SCRIPTS = {d: GOLDEN_DIR / "oracle" / "migrations" / f"{d}.sql" for d in ("upgrade", "downgrade")}
REVISIONS = ("0002", "0005", "0006", "0010")

_GUARD = re.compile(
    r"^DECLARE\s.*?(?:index|column|trigger)_name = '(?P<name>\w+)'.*?IF n (?P<op>[=>]) 0 THEN"
    r"\s+EXECUTE IMMEDIATE q'~(?P<ddl>.*?)~';",
    re.S,
)
_TABLE_OF_COLUMN = re.compile(r"table_name = '(\w+)'")


@dataclass(frozen=True)
class Effect:
    """What one statement does to the model: creates or drops `name`, or writes rows of
    (`rows`) / clears a table (`clears`); `guarded`: skipped when already done."""

    creates: str | None = None
    drops: str | None = None
    rows: str | None = None
    clears: str | None = None
    guarded: bool = False
    ddl: bool = True


def effect(statement: str) -> Effect:
    guard = _GUARD.match(statement)
    if guard:
        name = guard.group("name")
        table = _TABLE_OF_COLUMN.search(statement)
        if "column_name" in statement and table:
            name = f"{table.group(1)}.{name}"
        return (
            Effect(creates=name, guarded=True)
            if guard.group("op") == "="
            else Effect(drops=name, guarded=True)
        )
    s = " ".join(statement.split())
    if m := re.match(r"CREATE OR REPLACE TRIGGER (\w+)", s, re.I):
        return Effect(creates=m.group(1).upper(), guarded=True)
    if m := re.match(r"CREATE (?:UNIQUE )?(?:TABLE|INDEX) (IF NOT EXISTS )?(\w+)", s, re.I):
        return Effect(creates=m.group(2).upper(), guarded=bool(m.group(1)))
    if m := re.match(r"DROP (?:TABLE|INDEX|TRIGGER) (IF EXISTS )?(\w+)", s, re.I):
        return Effect(drops=m.group(2).upper(), guarded=bool(m.group(1)))
    if m := re.match(r"ALTER TABLE (\w+) ADD (\w+)", s, re.I):
        return Effect(creates=f"{m.group(1)}.{m.group(2)}".upper())
    if m := re.match(r"ALTER TABLE (\w+) DROP COLUMN (\w+)", s, re.I):
        return Effect(drops=f"{m.group(1)}.{m.group(2)}".upper())
    if m := re.match(r"DELETE FROM (\w+)$", s, re.I):
        return Effect(clears=m.group(1).upper(), ddl=False)
    if m := re.match(r"INSERT INTO (\w+)", s, re.I):
        return Effect(rows=m.group(1).upper(), ddl=False)
    raise AssertionError(f"no model for: {s[:100]}")


def rerun_failures(statements: list[str], done: int, before: set[str]) -> list[str]:
    """Failures of a full rerun after the first `done` statements ran; `before`: the
    objects the revision's prerequisites hold (for drops)."""
    effects = [effect(s) for s in statements]
    present = set(before)
    committed_rows: set[str] = set()
    for i, e in enumerate(effects[:done]):
        if e.creates:
            present.add(e.creates)
        if e.drops:
            present.discard(e.drops)
        if e.rows and any(later.ddl for later in effects[i + 1 : done]):
            committed_rows.add(e.rows)  # a later DDL's implicit commit kept them
        if e.clears and any(later.ddl for later in effects[i + 1 : done]):
            committed_rows.discard(e.clears)
    failures = []
    for e in effects:
        if e.creates:
            if e.creates in present and not e.guarded:
                failures.append(f"exists: {e.creates}")
            present.add(e.creates)
        if e.drops:
            if e.drops not in present and not e.guarded:
                failures.append(f"gone: {e.drops}")
            present.discard(e.drops)
        if e.clears:
            committed_rows.discard(e.clears)
        if e.rows and e.rows in committed_rows:
            failures.append(f"rows counted twice: {e.rows}")
    return failures


def section(direction: str, revision: str) -> list[str]:
    script = SCRIPTS[direction].read_text(encoding="utf-8")
    head = f"-- Running {direction} "
    marker = next(
        line for line in script.splitlines()
        if line.startswith(head) and re.search(rf"\b{revision}\b", line)
        and (line.split("->")[1 if direction == "upgrade" else 0].strip().endswith(revision))
    )  # fmt: skip
    start = script.index(marker)
    nxt = script.find(head, start + len(marker))
    body = script[start : nxt if nxt >= 0 else len(script)]
    skip = ("INSERT INTO alembic_version", "UPDATE alembic_version", "DELETE FROM alembic_version",
            "COMMIT", "DECLARE\n    handle")  # fmt: skip
    return [s for s in split_script(body) if not s.startswith(skip)]


def _created(statements: list[str]) -> set[str]:
    return {e.creates for e in map(effect, statements) if e.creates}


@pytest.mark.parametrize("revision", REVISIONS)
def test_upgrade_rerun_after_any_partial_failure_succeeds(revision: str) -> None:
    statements = section("upgrade", revision)
    assert statements, revision
    for done in range(len(statements) + 1):
        failures = rerun_failures(statements, done, set())
        assert not failures, f"{revision} rerun after {done} statements: {failures[:3]}"


@pytest.mark.parametrize("revision", REVISIONS)
def test_downgrade_rerun_after_any_partial_failure_succeeds(revision: str) -> None:
    statements = section("downgrade", revision)
    assert statements, revision
    before = _created(section("upgrade", revision))
    for done in range(len(statements) + 1):
        failures = rerun_failures(statements, done, before)
        assert not failures, f"{revision} downgrade rerun after {done}: {failures[:3]}"


def test_model_catches_the_unguarded_forms() -> None:
    """The check fails on the forms these revisions had: plain ADD, CREATE, a backfill
    that a later DDL commits, plain DROP."""
    add = "ALTER TABLE memory_units ADD consolidated_at TIMESTAMP WITH TIME ZONE"
    assert rerun_failures([add], 1, set()) == ["exists: MEMORY_UNITS.CONSOLIDATED_AT"]
    create = ["CREATE TABLE t (a INTEGER)", "INSERT INTO t (a) SELECT 1 FROM dual",
              "CREATE INDEX ix_t ON t (a)"]  # fmt: skip
    assert rerun_failures(create, 3, set()) == [
        "exists: T", "rows counted twice: T", "exists: IX_T",
    ]  # fmt: skip
    assert rerun_failures(["DROP INDEX ix_t"], 1, {"IX_T"}) == ["gone: IX_T"]
    guarded = [guarded_column("t", "a", "ALTER TABLE t ADD a INTEGER"),
               "DELETE FROM t", "INSERT INTO t (a) SELECT 1 FROM dual",
               guarded_drop_trigger("trg_t")]  # fmt: skip
    assert all(rerun_failures(guarded, k, {"TRG_T"}) == [] for k in range(5))


def test_column_guards_check_the_migrating_schema() -> None:
    block = guarded_column("chunks", "content_hash", "ALTER TABLE chunks ADD content_hash X")
    assert "FROM all_tab_columns" in block and "IF n = 0 THEN" in block
    assert "owner = SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA')" in block
    assert "table_name = 'CHUNKS' AND column_name = 'CONTENT_HASH'" in block
    drop = guarded_column("chunks", "content_hash", "ALTER TABLE chunks DROP COLUMN x", drop=True)
    assert "IF n > 0 THEN" in drop
    with pytest.raises(ValueError):
        guarded_column("t'--", "a", "ALTER TABLE t ADD a")
    with pytest.raises(ValueError):
        guarded_drop_trigger("trg~")
