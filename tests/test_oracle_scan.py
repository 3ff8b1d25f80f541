"""Every Oracle golden file (tests/golden/oracle/**) is free of constructs Oracle rejects
(tests/oracle_scan.py); every rule is proven by an example it flags and one it passes.

A failure names the file, the line, the rule, what was found and how to fix it. After
fixing the statement or construct, regenerate the goldens: `PYTHONPATH=. python -m tests.golden`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.golden_tool import GOLDEN_DIR, REGEN_COMMAND, all_goldens
from tests.oracle_scan import RULES, Rule, blank_literals, scan
from tests.oracle_scan_values import unsortable_columns

ORACLE_GOLDENS = sorted(p for p in all_goldens() if (GOLDEN_DIR / "oracle") in p.parents)
POSTGRES_GOLDENS = sorted(
    p
    for p in all_goldens()
    if (GOLDEN_DIR / "postgresql") in p.parents and p.parent.name != "migrations"
)


def _rel(path: Path) -> str:
    return str(path.relative_to(GOLDEN_DIR.parent.parent))


def test_every_oracle_golden_is_scanned() -> None:
    on_disk = sorted((GOLDEN_DIR / "oracle").rglob("*.sql"))
    assert on_disk == ORACLE_GOLDENS and len(on_disk) > 100


@pytest.mark.parametrize("path", ORACLE_GOLDENS, ids=_rel)
def test_oracle_golden_has_no_non_oracle_construct(path: Path) -> None:
    findings = scan(path.read_text(encoding="utf-8"))
    assert not findings, (
        f"{_rel(path)} has SQL that Oracle rejects:\n"
        + "\n".join(f"  {f}" for f in findings)
        + f"\nFix the statement or construct that emits it, then run `{REGEN_COMMAND}`."
    )


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_rule_flags_its_bad_example(rule: Rule) -> None:
    assert list(rule.find(blank_literals(rule.bad))), f"{rule.name} misses {rule.bad!r}"
    assert [f.rule.name for f in scan(rule.bad)].count(rule.name) >= 1


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_rule_passes_the_oracle_form(rule: Rule) -> None:
    findings = [str(f) for f in scan(rule.good)]
    assert not findings, f"{rule.name}: the Oracle form {rule.good!r} is flagged: {findings}"


def test_findings_say_where_and_how_to_fix() -> None:
    (finding,) = scan("SELECT a\nFROM t\nLIMIT 5")
    assert str(finding).startswith("line 3: LIMIT: `LIMIT` -> fix: use FETCH FIRST")


def test_literals_comments_and_bind_names_do_not_count() -> None:
    sql = "SELECT a FROM t WHERE b = '$1 :: LIMIT' AND c = :limit -- ILIKE here\n"
    assert scan(sql) == []


@pytest.mark.parametrize(
    ("sql", "rule"),
    [
        ("SELECT s.a FROM (SELECT a FROM t) AS s", "table alias with AS"),
        (
            "SELECT j.v FROM t, JSON_TABLE(:x, '$[*]' COLUMNS (v NUMBER PATH '$')) AS j",
            "table alias with AS",
        ),
        (
            "MERGE INTO t USING (SELECT :a AS a FROM dual) AS s ON (t.a = s.a) "
            "WHEN MATCHED THEN UPDATE SET t.b = 1",
            "table alias with AS",
        ),
        (
            "MERGE INTO t USING s ON (t.a = s.a) AND (t.b = s.b) "
            "WHEN MATCHED THEN UPDATE SET t.c = 1",
            "MERGE ON without parentheses",
        ),
        ("UPDATE t SET a = 1 FROM s", "UPDATE ... FROM"),
        ("INSERT INTO t (a, b,) VALUES (:a, :b)", "trailing comma"),
        ("INSERT INTO t (id, rowid) VALUES (:id, :r)", "reserved word as a name"),
        ("CREATE TABLE t (\n    id RAW(16),\n    successful NUMBER\n)", "reserved word as a name"),
        ("SELECT t.a FROM t WHERE t.mode = :m", "reserved word as a name"),
        ("DELETE FROM t WHERE a = :uid", "reserved word as a name"),
    ],
)
def test_more_forms_are_caught(sql: str, rule: str) -> None:
    assert rule in {f.rule.name for f in scan(sql)}, scan(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT (SELECT max(a) FROM t) AS m FROM dual",
        "SELECT count(*) AS n FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.a = t.a)",
        "SELECT id FROM t WHERE a = :a FOR UPDATE SKIP LOCKED",
        "UPDATE t SET a = (SELECT b FROM u WHERE u.id = t.id) WHERE t.id IN (SELECT id FROM v)",
        "DELETE FROM t WHERE a IN (SELECT a FROM u)",
    ],
)
def test_valid_oracle_is_not_flagged(sql: str) -> None:
    assert scan(sql) == []


def test_rules_catch_the_postgresql_goldens() -> None:
    """Not vacuous on real SQL: the PostgreSQL forms of the same statements trip them."""
    hits = {f.rule.name for p in POSTGRES_GOLDENS for f in scan(p.read_text(encoding="utf-8"))}
    assert {"positional $n parameter", ":: cast", "LIMIT", "ON CONFLICT", "= ANY (array)"} <= hits


def test_the_value_rules_know_the_wide_columns() -> None:
    # Derived from the schema's Oracle types: if this set were empty the LOB rule would pass
    # every statement without looking.
    wide = unsortable_columns()
    assert {"text", "context", "tags", "metadata", "embedding", "content"} <= wide
    assert not wide & {"id", "bank_id", "document_id", "fact_type", "created_at", "score"}
