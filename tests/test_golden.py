"""Golden SQL: compiled statements and offline migrations match tests/golden/ and the Oracle
SQL parses with sqlglot's Oracle dialect (constructs Oracle rejects although sqlglot accepts
them are found by the scan in tests/test_oracle_scan.py).

Regenerate the goldens after an intended change: `PYTHONPATH=. python -m tests.golden`.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlglot
from sqlglot.errors import ParseError

from repo.oracle_ddl import lock_block, unlock_block
from repo.sql import REGISTRY
from repo.sql.constructs import approx_limit
from schema.tables import memory_units
from tests.golden_tool import (
    DIALECTS,
    GOLDEN_DIR,
    REGEN_COMMAND,
    all_goldens,
    golden_filename,
)
from tests.sqlglot_compat import (
    GAPS,
    normalise_for_sqlglot,
    parse_oracle,
    split_script,
)

GOLDENS = all_goldens()
LOCK_BLOCKS = (lock_block(), unlock_block())
ORACLE_STATEMENTS = sorted(
    p for p in GOLDENS if p.parent == GOLDEN_DIR / "oracle" and p.suffix == ".sql"
)
ORACLE_MIGRATIONS = sorted((GOLDEN_DIR / "oracle" / "migrations").glob("*.sql"))


def _rel(path: Path) -> str:
    return str(path.relative_to(GOLDEN_DIR.parent.parent))


# --------------------------------------------------------------------------- goldens


@pytest.mark.parametrize("path", sorted(GOLDENS), ids=_rel)
def test_compiled_sql_matches_golden(path: Path) -> None:
    expected = GOLDENS[path]
    if not path.exists():
        pytest.fail(f"missing golden file {_rel(path)}; run `{REGEN_COMMAND}`")
    actual = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                actual.splitlines(keepends=True),
                expected.splitlines(keepends=True),
                fromfile=f"{_rel(path)} (golden)",
                tofile="compiled now",
            )
        )
        pytest.fail(
            f"{_rel(path)} differs from the compiled SQL. If the change is intended, "
            f"run `{REGEN_COMMAND}` and review the diff.\n{diff}"
        )


def test_no_orphaned_golden_files() -> None:
    on_disk = {p for d in DIALECTS for p in (GOLDEN_DIR / d).rglob("*") if p.is_file()}
    orphans = sorted(_rel(p) for p in on_disk - set(GOLDENS))
    assert not orphans, f"golden files without a statement: {orphans}; run `{REGEN_COMMAND}`"


def test_golden_file_names_are_unique_per_statement() -> None:
    names = [s.name for s in REGISTRY.all_statements()]
    files = [golden_filename(n) for n in names]
    assert len(set(files)) == len(set(names))


# --------------------------------------------------------------------------- sqlglot


@pytest.mark.parametrize("path", ORACLE_STATEMENTS, ids=_rel)
def test_oracle_statement_parses_with_sqlglot(path: Path) -> None:
    parsed = parse_oracle(normalise_for_sqlglot(GOLDENS[path]))
    assert len(parsed) == 1


@pytest.mark.parametrize("path", ORACLE_MIGRATIONS, ids=_rel)
def test_oracle_migration_parses_with_sqlglot(path: Path) -> None:
    statements = split_script(path.read_text(encoding="utf-8"))
    assert len(statements) > 5
    for statement in statements:
        if statement in LOCK_BLOCKS:
            continue  # PL/SQL only (tests/test_oracle_migrations.py)
        parse_oracle(normalise_for_sqlglot(statement))


def test_every_gap_rewrite_is_exercised_by_the_goldens() -> None:
    """No dead rewrites: each known gap occurs in the Oracle SQL we emit."""
    text = "\n".join(GOLDENS[p] for p in GOLDENS if "oracle" in p.parts)
    unused = [name for name, pattern, _, _ in GAPS if not pattern.search(text)]
    assert not unused


def _parses(sql: str) -> bool:
    try:
        parse_oracle(sql)
    except (ParseError, ValueError):
        return False
    return True


def test_gap_plsql_skip_block() -> None:
    raw = (
        "BEGIN EXECUTE IMMEDIATE 'DROP INDEX ix_a'; EXCEPTION WHEN OTHERS THEN "
        "IF SQLCODE NOT IN (-1418, -955) THEN RAISE; END IF; END;"
    )
    assert not _parses(raw)
    fixed = normalise_for_sqlglot(raw)
    assert fixed == "DROP INDEX ix_a"
    assert _parses(fixed)


def test_gap_fetch_approx() -> None:
    raw = "SELECT a FROM t ORDER BY VECTOR_DISTANCE(e, :e, COSINE) FETCH APPROX FIRST :k ROWS ONLY"
    assert not _parses(raw)
    fixed = normalise_for_sqlglot(raw)
    assert fixed.endswith("FETCH FIRST :k ROWS ONLY")
    assert _parses(fixed)


def test_gap_target_accuracy() -> None:
    raw = (
        "SELECT a FROM t ORDER BY VECTOR_DISTANCE(e, :e, COSINE)"
        " FETCH APPROX FIRST :k ROWS ONLY WITH TARGET ACCURACY 90"
    )
    assert not _parses(
        normalise_for_sqlglot(raw).replace("ROWS ONLY", "ROWS ONLY WITH TARGET ACCURACY 90")
    )
    fixed = normalise_for_sqlglot(raw)
    assert fixed.endswith("FETCH FIRST :k ROWS ONLY")
    assert _parses(fixed)


def test_gap_returning_into() -> None:
    raw = "INSERT INTO v (n) VALUES ('1') RETURNING v.n INTO :ret_0"
    # sqlglot accepts it but loses the INTO target: a silent mangling, not a parse.
    assert "INTO :ret_0" not in sqlglot.parse_one(raw, read="oracle").sql("oracle")
    fixed = normalise_for_sqlglot(raw)
    assert fixed == "INSERT INTO v (n) VALUES ('1') RETURNING v.n"
    assert _parses(fixed)


def test_gap_vector_two_arguments() -> None:
    raw = "CREATE TABLE t (e VECTOR(384, FLOAT32) NOT NULL)"
    assert not _parses(raw)
    fixed = normalise_for_sqlglot(raw)
    assert "VECTOR(384, FLOAT32, *)" in fixed
    assert _parses(fixed)


def test_gap_create_vector_index() -> None:
    raw = (
        "CREATE VECTOR INDEX ixo_e ON t (e) ORGANIZATION NEIGHBOR PARTITIONS "
        "DISTANCE COSINE WITH TARGET ACCURACY 95"
    )
    assert not _parses(raw)  # an opaque Command
    fixed = normalise_for_sqlglot(raw)
    assert fixed == "CREATE INDEX ixo_e ON t (e)"
    assert _parses(fixed)


def test_gap_oracle_text_indextype() -> None:
    raw = "CREATE INDEX ixo_t ON t (x) INDEXTYPE IS CTXSYS.CONTEXT PARAMETERS ('SYNC (ON COMMIT)')"
    assert not _parses(raw)  # an opaque Command
    fixed = normalise_for_sqlglot(raw)
    assert fixed == "CREATE INDEX ixo_t ON t (x)"
    assert _parses(fixed)


def test_gap_plsql_guarded_ddl() -> None:
    from repo.oracle_ddl import guarded_index

    ddl = "CREATE INDEX ixo_t ON t (x)"
    raw = guarded_index("ixo_t", ddl)
    assert not _parses(raw)  # an opaque Command
    assert normalise_for_sqlglot(raw) == ddl
    assert _parses(normalise_for_sqlglot(raw))


def test_gap_plsql_row_trigger() -> None:
    raw = (
        "CREATE OR REPLACE TRIGGER trg_t\nAFTER INSERT OR DELETE ON t FOR EACH ROW\nBEGIN\n"
        "    IF INSERTING THEN\n        INSERT INTO d (a, n) VALUES (:NEW.a, 1);\n"
        "    ELSIF DELETING THEN\n        INSERT INTO d (a, n) VALUES (:OLD.a, -1);\n"
        "    END IF;\nEND;"
    )
    assert not _parses(raw)
    fixed = normalise_for_sqlglot(raw)
    assert fixed == (
        "INSERT INTO d (a, n) VALUES (:NEW.a, 1);\nINSERT INTO d (a, n) VALUES (:OLD.a, -1)"
    )
    assert len(parse_oracle(fixed)) == 2


def test_normalisation_leaves_other_sql_alone() -> None:
    sql = "SELECT a FROM t WHERE b = :b ORDER BY a FETCH FIRST :k ROWS ONLY"
    assert normalise_for_sqlglot(sql) == sql


# --------------------------------------------------------------------------- compilation
# (Oracle constructs that Oracle rejects are scanned for in tests/test_oracle_scan.py.)


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_every_statement_compiles_with_plain_bind_names(dialect: str) -> None:
    """One SQL text per shape: no post-compile (literal) parameters, and bind names the
    dialect does not need to quote (cache.py raises for either)."""
    plain = re.compile(r"[a-z_][a-z0-9_]*")
    for stmt in REGISTRY.all_statements():
        if stmt.only not in (None, dialect):
            continue
        compiled = stmt.compiled(DIALECTS[dialect])
        assert "POSTCOMPILE" not in compiled.sql, stmt.name
        assert "__[" not in compiled.sql, stmt.name
        assert all(plain.fullmatch(p) for p in compiled.params), (stmt.name, compiled.params)
        assert len(compiled.types) == len(compiled.params), stmt.name


def test_approx_limit_is_approximate_on_oracle_only() -> None:
    stmt = approx_limit(sa.select(memory_units.c.id).order_by(memory_units.c.created_at), "k")
    oracle = stmt.compile(dialect=DIALECTS["oracle"]).string
    postgres = stmt.compile(dialect=DIALECTS["postgresql"]).string
    assert oracle.rstrip().endswith("FETCH APPROX FIRST :k ROWS ONLY")
    assert postgres.rstrip().endswith("LIMIT $1")
    assert "APPROX" not in postgres


def test_semantic_recall_uses_approximate_top_k() -> None:
    semantic = [s for s in REGISTRY.all_statements() if s.name.startswith("recall.semantic[")]
    assert semantic
    for stmt in semantic:
        if stmt.only is None:  # the inline exact search's shapes are PostgreSQL's
            assert "FETCH APPROX FIRST :k ROWS ONLY" in stmt.compiled(DIALECTS["oracle"]).sql
        nearest_first = r"ORDER BY \(\S+ (<=>|OPERATOR\(public\.<=>\)) \$1\) \n LIMIT \$\d+"
        assert re.search(nearest_first, stmt.compiled(DIALECTS["postgresql"]).sql), stmt.name


def test_upserts_never_update_their_key_columns() -> None:
    """ORA-38104: a MERGE cannot update a column referenced in its ON clause."""
    from repo.sql.constructs import Upsert

    upserts = [s for s in REGISTRY.all_statements() if isinstance(s.stmt, Upsert)]
    assert upserts
    for stmt in upserts:
        upsert = stmt.stmt
        assert isinstance(upsert, Upsert)
        assert not set(upsert.update or {}) & set(upsert.key), stmt.name
