"""A scan of Oracle SQL for constructs Oracle rejects: PostgreSQL-only syntax, other
non-Oracle forms, and reserved words used as names.

sqlglot's Oracle dialect accepts most of these (LIMIT, `::`, `FROM t AS x`, ILIKE,
`UPDATE ... FROM`, trailing commas, an unparenthesised MERGE ON, RETURNING without INTO,
RELEASE SAVEPOINT), so parsing alone proves little. Each `Rule` here names what it finds and
says how to fix it; tests/test_oracle_scan.py runs every rule over every file under
tests/golden/oracle/ and proves each rule with an example that must fail and one that must
pass.

String literals and `--` comments are blanked before scanning (so `'$[*]'` or a comment
saying LIMIT do not count); bind names are kept for the reserved-word rule and blanked for
the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from repo.sql.oracle_reserved import ORACLE_RESERVED_WORDS
from tests.oracle_scan_base import (
    Rule,
    blank_binds,
    blank_literals,
    depths,
    matching_paren,
    regex,
    statements,
)
from tests.oracle_scan_values import VALUE_RULES


@dataclass(frozen=True)
class Finding:
    rule: Rule
    line: int
    found: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.rule.name}: `{self.found}` -> fix: {self.rule.fix}"


# --------------------------------------------------------------------------- structural rules

_TABLE_REF = re.compile(
    r"\s*(?:(?:JSON_TABLE|TABLE|LATERAL)\s*)?(?:\((?P<paren>)|[\w$#.\"]+)", re.I
)


def _table_alias_with_as(sql: str) -> Iterator[tuple[int, str]]:
    """`FROM t AS x`, `JOIN (SELECT ...) AS x`, `USING (...) AS s`: Oracle table aliases take
    no AS (column aliases may)."""
    text = blank_binds(sql)
    for m in re.finditer(r"\b(FROM|JOIN|USING)\b", text, re.I):
        pos = m.end()
        while True:
            ref = _TABLE_REF.match(text, pos)
            if ref is None:
                break
            end = ref.end()
            if ref.group("paren") is not None:
                end = matching_paren(text, end - 1) + 1
            alias = re.match(r"\s+AS\s+[\w\"]+", text[end:], re.I)
            if alias:
                yield end, text[m.start() : end + alias.end()].split("\n")[0][-60:]
            nxt = re.match(r"\s*(?:AS\s+)?(?:[\w\"]+)?\s*,", text[end:], re.I)
            if nxt is None or m.group(1).upper() != "FROM":
                break
            pos = end + nxt.end()


def _update_from(sql: str) -> Iterator[tuple[int, str]]:
    """`UPDATE t SET ... FROM other`: Oracle has no FROM in UPDATE."""
    for start, stmt in statements(blank_binds(sql)):
        level = depths(stmt)
        for u in re.finditer(r"\bUPDATE\b", stmt, re.I):
            if re.search(r"\bFOR\s+$", stmt[: u.start()], re.I):
                continue  # SELECT ... FOR UPDATE
            for f in re.finditer(r"\bFROM\b", stmt[u.end() :], re.I):
                at = u.end() + f.start()
                if level[at] == level[u.start()]:
                    yield start + at, stmt[u.start() : at + 4].split("\n")[0][:60]
                    break


def _merge_on_unparenthesised(sql: str) -> Iterator[tuple[int, str]]:
    """`MERGE INTO t USING s ON a = b WHEN ...`: Oracle needs `ON (a = b)`, one parenthesis
    around the whole condition."""
    for start, stmt in statements(blank_binds(sql)):
        merge = re.match(r"\s*MERGE\b", stmt, re.I)
        if merge is None:
            continue
        level = depths(stmt)
        for on in re.finditer(r"\bON\b", stmt, re.I):
            if level[on.start()] != 0:
                continue
            rest = stmt[on.end() :]
            paren = re.match(r"\s*\(", rest)
            if paren is None:
                yield start + on.start(), rest.strip()[:40]
            else:
                close = matching_paren(stmt, on.end() + paren.end() - 1)
                if not re.match(r"\s*WHEN\b", stmt[close + 1 :], re.I):
                    yield start + on.start(), stmt[on.start() : close + 20].strip()[:60]
            break


def _returning_without_into(sql: str) -> Iterator[tuple[int, str]]:
    """`RETURNING col` without `INTO :out` (PostgreSQL returns rows; Oracle needs out binds)."""
    for start, stmt in statements(sql):
        for r in re.finditer(r"\bRETURNING\b", stmt, re.I):
            if not re.search(r"\bINTO\s+:", stmt[r.end() :], re.I):
                yield start + r.start(), stmt[r.start() :].strip()[:60]


_IDENTIFIER_POSITIONS = (
    (r"(?<![:\w]):(?P<name>\w+)", "bind name"),
    (r"\bAS\s+(?P<name>[A-Za-z_]\w*)\b", "alias"),
    (r"\b(?P<name>[A-Za-z_]\w*)\s*\.\s*[A-Za-z_]", "qualifier"),
    (r"[A-Za-z_\"]\w*\"?\s*\.\s*(?P<name>[A-Za-z_]\w*)\b", "qualified name"),
    (r"^[ \t]+(?P<name>[A-Za-z_]\w*)\s+(?:VARCHAR2|NUMBER|INTEGER|FLOAT|CLOB|BLOB|RAW|JSON|"
     r"VECTOR|TIMESTAMP|DATE|BOOLEAN|BINARY_DOUBLE|CHAR)\b", "column definition"),
)  # fmt: skip


def _column_lists(text: str) -> Iterator[tuple[int, str]]:
    """Names in `INSERT INTO t (a, b)` and `CREATE INDEX ... ON t (a, b)` column lists."""
    for m in re.finditer(r"\b(?:INSERT\s+INTO|INSERT|ON)\s+[\w$#.\"]+\s*\(([^()]*)\)", text, re.I):
        for name in re.finditer(r"[A-Za-z_]\w*", m.group(1)):
            yield m.start(1) + name.start(), name.group(0)


def _inside_cast(sql: str, at: int) -> bool:
    """Whether offset `at` is directly inside the parentheses of a CAST(...)."""
    depth = 0
    for i in range(at - 1, -1, -1):
        if sql[i] == ")":
            depth += 1
        elif sql[i] == "(":
            if depth == 0:
                return re.search(r"\bCAST\s*$", sql[:i], re.I) is not None
            depth -= 1
    return False


def _reserved_names(sql: str) -> Iterator[tuple[int, str]]:
    """A reserved word (V$RESERVED_WORDS, RESERVED = 'Y') as an unquoted bind name, alias,
    column or qualifier: Oracle rejects it (quote it, or better, rename it)."""
    seen: set[int] = set()
    for pattern, what in _IDENTIFIER_POSITIONS:
        for m in re.finditer(pattern, sql, re.I | re.M):
            name = m.group("name")
            if what == "alias" and _inside_cast(sql, m.start()):
                continue  # CAST(x AS FLOAT): a type, not an alias
            if name.upper() in ORACLE_RESERVED_WORDS and m.start("name") not in seen:
                seen.add(m.start("name"))
                yield m.start("name"), f"{what} {name}"
    for at, name in _column_lists(blank_binds(sql)):
        if name.upper() in ORACLE_RESERVED_WORDS and at not in seen:
            seen.add(at)
            yield at, f"column {name}"


# --------------------------------------------------------------------------- the rules

_SYNTAX_RULES: tuple[Rule, ...] = (
    Rule("positional $n parameter", regex(r"\$\d+"),
         "bind by name (bindparam('x') compiles to :x on Oracle)",
         "SELECT a FROM t WHERE b = $1", "SELECT a FROM t WHERE b = :b"),
    Rule(":: cast", regex(r"::"),
         "use CAST(x AS type) (sa.cast), or a construct in repo/sql/constructs.py",
         "SELECT a::text FROM t", "SELECT CAST(a AS VARCHAR2(10)) FROM t"),
    Rule("LIMIT", regex(r"\bLIMIT\b"),
         "use FETCH FIRST :n ROWS ONLY (.limit(bindparam) on the Oracle dialect), or "
         "approx_limit() for vector top-k",
         "SELECT a FROM t LIMIT 5", "SELECT a FROM t FETCH FIRST :n ROWS ONLY"),
    Rule("OFFSET without FETCH", regex(r"\bOFFSET\s+\S+\s*$", re.I | re.M),
         "use OFFSET :o ROWS FETCH NEXT :n ROWS ONLY, or keyset pagination",
         "SELECT a FROM t ORDER BY a OFFSET 5",
         "SELECT a FROM t ORDER BY a OFFSET :o ROWS FETCH NEXT :n ROWS ONLY"),
    Rule("table alias with AS", _table_alias_with_as,
         "drop AS before a table, subquery or JSON_TABLE alias (`FROM t x`); "
         "SQLAlchemy's Oracle dialect does this for .alias(); check text() and @compiles code",
         "SELECT x.a FROM t AS x", "SELECT x.a AS b FROM t x"),
    Rule("ILIKE", regex(r"\bILIKE\b"),
         "use LOWER(col) LIKE LOWER(:p) (sa.func.lower) or Oracle Text",
         "SELECT a FROM t WHERE a ILIKE :p", "SELECT a FROM t WHERE LOWER(a) LIKE LOWER(:p)"),
    Rule("UPDATE ... FROM", _update_from,
         "Oracle's UPDATE has no FROM: use a correlated subquery in SET/WHERE, or MERGE",
         "UPDATE t SET a = s.a FROM s WHERE s.id = t.id",
         "UPDATE t SET a = (SELECT s.a FROM s WHERE s.id = t.id) WHERE EXISTS (SELECT 1 FROM s)"),
    Rule("trailing comma", regex(r",\s*(?:\)|\bFROM\b|\bWHERE\b|\bVALUES\b|\bSET\b|$)"),
         "remove the comma before the closing parenthesis or keyword",
         "SELECT a, b, FROM t", "SELECT a, b FROM t"),
    Rule("MERGE ON without parentheses", _merge_on_unparenthesised,
         "write MERGE ... USING ... ON (condition), the whole condition in one parenthesis",
         "MERGE INTO t USING s ON t.k = s.k WHEN MATCHED THEN UPDATE SET t.v = s.v",
         "MERGE INTO t USING s ON (t.k = s.k AND t.b = s.b) WHEN MATCHED THEN UPDATE SET t.v ="
         " s.v"),
    Rule("RETURNING without INTO", _returning_without_into,
         "Oracle returns DML values only into out binds: RETURNING col INTO :out "
         "(cursor.var), or select the row afterwards",
         "INSERT INTO t (a) VALUES (:a) RETURNING a",
         "INSERT INTO t (a) VALUES (:a) RETURNING a INTO :ret_0"),
    Rule("RELEASE SAVEPOINT", regex(r"\bRELEASE\s+SAVEPOINT\b"),
         "Oracle has no RELEASE SAVEPOINT: just leave the savepoint (it ends with the transaction)",
         "RELEASE SAVEPOINT sp1", "ROLLBACK TO SAVEPOINT sp1"),
    Rule("= ANY (array)", regex(r"=\s*ANY\s*\("),
         "use the JSON_TABLE id-list constructs (in_uuids / in_texts in repo/sql/constructs.py)",
         "SELECT a FROM t WHERE id = ANY (:ids)",
         "SELECT a FROM t WHERE id IN (SELECT HEXTORAW(j.v) FROM JSON_TABLE(:ids, '$[*]' COLUMNS"
         " (v VARCHAR2(32) PATH '$')) j)"),
    Rule("ON CONFLICT", regex(r"\bON\s+CONFLICT\b"),
         "use the Upsert construct (MERGE on Oracle, repo/sql/constructs.py)",
         "INSERT INTO t (a) VALUES (:a) ON CONFLICT (a) DO NOTHING",
         "MERGE INTO t USING (SELECT :a AS a FROM dual) s ON (t.a = s.a) WHEN NOT MATCHED THEN"
         " INSERT (a) VALUES (s.a)"),
    Rule("&& overlap", regex(r"&&"), "use an EXISTS over JSON_TABLE (Oracle has no arrays)",
         "SELECT a FROM t WHERE tags && :t", "SELECT a FROM t WHERE EXISTS (SELECT 1 FROM dual)"),
    Rule("PostgreSQL full-text",
         regex(r"\b(?:websearch_to_tsquery|to_tsvector|to_tsquery|ts_rank\w*)\b|@@"),
         "use the full-text constructs (CONTAINS/SCORE on Oracle, repo/sql/constructs.py)",
         "SELECT ts_rank_cd(to_tsvector(a), q) FROM t",
         "SELECT SCORE(1) FROM t WHERE CONTAINS(a, :q, 1) > 0"),
    Rule("pgvector operator", regex(r"<=>|<->|<#>"),
         "use VECTOR_DISTANCE(col, :v, COSINE) (the vector-distance construct)",
         "SELECT a FROM t ORDER BY e <=> :v",
         "SELECT a FROM t ORDER BY VECTOR_DISTANCE(e, :v, COSINE)"),
    Rule("excluded.", regex(r"\bexcluded\."), "refer to the MERGE source alias (s.col)",
         "UPDATE SET a = excluded.a", "UPDATE SET t.a = s.a"),
    Rule("schema public.", regex(r"\bpublic\."),
         "Oracle has no schema public: leave names unqualified (CURRENT_SCHEMA picks the tenant)",
         "SELECT a FROM public.t", "SELECT a FROM t"),
    Rule("unnest / ARRAY[", regex(r"\bunnest\s*\(|\bARRAY\s*\["),
         "use JSON_TABLE over a bound JSON list",
         "SELECT unnest(:a) FROM dual",
         "SELECT j.v FROM JSON_TABLE(:a, '$[*]' COLUMNS (v NUMBER PATH '$')) j"),
    Rule("reserved word as a name", _reserved_names,
         "rename it (Oracle's reserved words: repo/sql/oracle_reserved.py; "
         "SQLAlchemy's list is shorter, so it may emit such a name unquoted)",
         "SELECT t.a AS rows FROM t WHERE t.b = :session",
         "SELECT t.a AS n_rows FROM t WHERE t.b = :session_id"),
)  # fmt: skip

#: Every rule: the syntax rules above and the value rules (tests/oracle_scan_values.py).
RULES: tuple[Rule, ...] = _SYNTAX_RULES + VALUE_RULES


def scan(sql: str) -> list[Finding]:
    """Every rule's findings in `sql` (an Oracle statement or migration script)."""
    text = blank_literals(sql)
    findings = []
    for rule in RULES:
        for offset, found in rule.find(text):
            findings.append(Finding(rule, text.count("\n", 0, offset) + 1, found))
    return sorted(findings, key=lambda f: (f.line, f.rule.name))
