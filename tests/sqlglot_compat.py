"""Oracle SQL that sqlglot 30.30's Oracle dialect cannot read, rewritten to a form it can.

`normalise_for_sqlglot` rewrites ONLY these known gaps; each has a test in
tests/test_golden.py showing that sqlglot rejects (or silently mangles) the raw
form and accepts the normalised one. Everything else in the Oracle golden files must
parse as it is. `parse_oracle` is strict: sqlglot's fallback of unknown statements to an
opaque `Command` counts as a failure.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlglot
from sqlglot import exp

#: (name, pattern, replacement, why) for every known gap.
GAPS: tuple[tuple[str, re.Pattern[str], str | Callable[[re.Match[str]], str], str], ...] = (
    (
        "plsql_guarded_ddl",
        re.compile(r"\bDECLARE\s+n PLS_INTEGER;.*?EXECUTE IMMEDIATE q'~(.*?)~';.*?\bEND;", re.S),
        r"\1",
        "PL/SQL blocks are not SQL to sqlglot; the DDL a dictionary-guarded block runs is",
    ),
    (
        "fetch_approx",
        re.compile(r"\bFETCH APPROX(?:IMATE)? FIRST\b"),
        "FETCH FIRST",
        "approximate top-k (23ai row limiting clause) is not in sqlglot's grammar",
    ),
    (
        "target_accuracy",
        re.compile(r"(\bROWS ONLY)\s+WITH TARGET ACCURACY \d+\b"),
        r"\1",
        "the approximate top-k's accuracy (23ai row limiting clause) is not in sqlglot's grammar",
    ),
    (
        "returning_into",
        re.compile(r"(\bRETURNING\b[^;]*?)\s+INTO\s+:\w+(?:\s*,\s*:\w+)*"),
        r"\1",
        "sqlglot parses RETURNING ... INTO :out but silently drops the INTO targets",
    ),
    (
        "vector_two_args",
        re.compile(r"\bVECTOR\((\d+|\*),\s*(FLOAT32|FLOAT64|INT8|BINARY|\*)\)"),
        r"VECTOR(\1, \2, *)",
        "sqlglot reads VECTOR(n, FORMAT) only with the third (storage) argument",
    ),
    (
        "create_vector_index",
        re.compile(
            r"\bCREATE VECTOR INDEX (\w+) ON (\w+) \((\w+)\)\s+ORGANIZATION\s+"
            r"(?:NEIGHBOR PARTITIONS|INMEMORY NEIGHBOR GRAPH)[^;/]*?(?=\s*(?:;|/|$))"
        ),
        r"CREATE INDEX \1 ON \2 (\3)",
        "CREATE VECTOR INDEX ... ORGANIZATION ... falls back to an opaque Command",
    ),
    (
        "plsql_skip_block",
        re.compile(
            r"\bBEGIN EXECUTE IMMEDIATE '((?:[^']|'')*)'; EXCEPTION WHEN OTHERS THEN "
            r"IF SQLCODE NOT IN \([-\d, ]+\) THEN RAISE; END IF; END;"
        ),
        lambda m: m.group(1).replace("''", "'"),
        "a resumable migration's PL/SQL block (EXECUTE IMMEDIATE) is not in sqlglot's grammar;"
        " the DDL it runs is parsed instead",
    ),
    (
        "plsql_row_trigger",
        re.compile(
            r"\bCREATE OR REPLACE TRIGGER \w+\s+AFTER [^\n]*FOR EACH ROW\s+BEGIN\b(.*?)\nEND;", re.S
        ),
        lambda m: ";\n".join(re.findall(r"\b(?:INSERT|UPDATE|DELETE)\b[^;]*", m.group(1))),
        "a row trigger's PL/SQL body is not in sqlglot's grammar; the DML it runs (with its"
        " :NEW / :OLD references) is parsed instead",
    ),
    (
        "text_indextype",
        re.compile(r"\s+INDEXTYPE IS CTXSYS\.\w+(?:\s+PARAMETERS\s*\('[^']*'\))?"),
        "",
        "INDEXTYPE IS CTXSYS.CONTEXT PARAMETERS (...) falls back to an opaque Command",
    ),
)


def normalise_for_sqlglot(sql: str) -> str:
    """`sql` with the known sqlglot gaps rewritten (see GAPS); nothing else changes."""
    for _, pattern, replacement, _ in GAPS:
        sql = pattern.sub(replacement, sql)
    return sql


def split_script(script: str) -> list[str]:
    """The statements of an offline Oracle migration script (separated by `/` lines)."""
    statements = []
    for chunk in re.split(r"^/\s*$", script, flags=re.MULTILINE):
        body = "\n".join(
            line for line in chunk.splitlines() if not line.lstrip().startswith("--")
        ).strip()
        if body:
            statements.append(body)
    return statements


def parse_oracle(sql: str) -> list[exp.Expr]:
    """Parse with sqlglot's Oracle dialect; raise if anything is unparsed or opaque."""
    parsed = [e for e in sqlglot.parse(sql, read="oracle") if e is not None]
    if not parsed:
        raise ValueError("no statement parsed")
    opaque = [e for e in parsed if isinstance(e, exp.Command)]
    if opaque:
        raise ValueError(f"sqlglot fell back to an opaque Command: {opaque[0].sql()[:120]}")
    return parsed
