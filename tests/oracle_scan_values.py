"""Scan rules about values: columns Oracle cannot sort or compare, binds where Oracle takes
only a literal, and `''`, which Oracle reads as NULL.

- LOB columns cannot be sorted, grouped, DISTINCTed or put through UNION / INTERSECT /
  MINUS (UNION ALL works): "Restrictions on SQL Operations on LOBs", Oracle SecureFiles
  and Large Objects Developer's Guide (21c, 5.3). The rule also covers the JSON and
  VECTOR columns: no statement relies on comparing them, and none is verified to work.
  Only direct column references are checked (`ORDER BY t.text`), not expressions over
  them (`ORDER BY VECTOR_DISTANCE(t.embedding, :q, COSINE)` is fine).
- A JSON path (second argument of JSON_EXISTS / JSON_VALUE / JSON_QUERY / JSON_TABLE) and
  the percentage of `WITH TARGET ACCURACY` are written as literals, as in every example of
  the SQL reference and the AI Vector Search guide; a bind there is unverified.
- `''` is NULL in Oracle, so `x = ''` is never true.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from sqlalchemy.dialects.oracle.oracledb import OracleDialect_oracledb

from schema.tables import metadata
from tests.oracle_scan_base import Rule, blank_binds, depths, matching_paren, regex, statements

_UNSORTABLE_TYPES = re.compile(r"^(?:N?CLOB|BLOB|JSON|VECTOR)\b", re.I)


@cache
def unsortable_columns() -> frozenset[str]:
    """Column names whose Oracle type is a LOB, JSON or VECTOR in every table that has them
    (a name that is also a plain column somewhere cannot be judged by name alone)."""
    dialect = OracleDialect_oracledb()  # type: ignore[no-untyped-call]
    kinds: dict[str, set[bool]] = {}
    for table in metadata.tables.values():
        for column in table.columns:
            oracle_type = column.type.compile(dialect=dialect)
            kinds.setdefault(column.name, set()).add(bool(_UNSORTABLE_TYPES.match(oracle_type)))
    return frozenset(name for name, seen in kinds.items() if seen == {True})


def _items(text: str, start: int, stop: re.Pattern[str]) -> Iterator[tuple[int, str]]:
    """(offset, item) of the comma-separated list at `start`, up to `stop` or a closing
    parenthesis at the list's own depth."""
    level = depths(text)
    depth, item_start, i = level[start], start, start
    while i < len(text):
        ch = text[i]
        if ch == "(":
            i = matching_paren(text, i) + 1
            continue
        if ch == ")" and level[i] == depth:
            break
        if ch == "," or (level[i] == depth and stop.match(text, i)):
            yield item_start, text[item_start:i]
            if ch != ",":
                return
            item_start = i + 1
        i += 1
    yield item_start, text[item_start:i]


_LIST_STARTS = {
    "ORDER BY": re.compile(r"\b(?:FETCH|OFFSET|FOR|UNION|INTERSECT|MINUS)\b", re.I),
    "GROUP BY": re.compile(r"\b(?:HAVING|ORDER|FETCH|UNION|INTERSECT|MINUS)\b", re.I),
    "PARTITION BY": re.compile(r"\bORDER\b", re.I),
    "SELECT DISTINCT": re.compile(r"\bFROM\b", re.I),
}
_MODIFIERS = re.compile(r"\s+(?:ASC|DESC|NULLS\s+(?:FIRST|LAST)|AS\s+\w+|\w+)\s*$", re.I)


def _column_of(item: str) -> str | None:
    """The column name of a list item that is a bare (possibly qualified) column reference."""
    item = item.strip()
    while True:
        stripped = _MODIFIERS.sub("", item)
        if stripped == item:
            break
        item = stripped
    m = re.fullmatch(r"(?:[\w\"]+\.)?\"?(\w+)\"?", item.strip())
    return m.group(1).lower() if m else None


def _unsortable(sql: str) -> Iterator[tuple[int, str]]:
    """A LOB/JSON/VECTOR column sorted, grouped, partitioned on, DISTINCTed, or selected by
    a branch of UNION / INTERSECT / MINUS."""
    names = unsortable_columns()
    for start, stmt in statements(blank_binds(sql)):
        for clause, stop in _LIST_STARTS.items():
            pattern = r"\b" + r"\s+".join(clause.split()) + r"\b"
            for m in re.finditer(pattern, stmt, re.I):
                for at, item in _items(stmt, m.end(), stop):
                    name = _column_of(item)
                    if name in names:
                        yield start + at, f"{clause} {item.strip()}"
        level = depths(stmt)
        for op in re.finditer(r"\b(?:UNION(?!\s+ALL\b)|INTERSECT|MINUS)\b", stmt, re.I):
            branch = [  # the SELECT of the branch before the operator (same depth)
                s
                for s in re.finditer(r"\bSELECT\b", stmt[: op.start()], re.I)
                if level[s.start()] == level[op.start()]
            ]
            if not branch:
                continue
            select = branch[-1]
            for _at, item in _items(stmt, select.end(), _LIST_STARTS["SELECT DISTINCT"]):
                if _column_of(item) in names:
                    yield start + op.start(), f"{op.group(0)} over {item.strip()}"


def _json_path_bind(sql: str) -> Iterator[tuple[int, str]]:
    """A bind variable as the JSON path of JSON_EXISTS / JSON_VALUE / JSON_QUERY / JSON_TABLE."""
    text = blank_binds(sql)
    for m in re.finditer(r"\bJSON_(?:EXISTS|VALUE|QUERY|TABLE)\s*\(", text, re.I):
        args = list(_items(text, m.end(), re.compile(r"(?!)")))
        if len(args) > 1 and args[1][1].lstrip().startswith(":"):
            yield args[1][0], text[m.start() : args[1][0] + len(args[1][1])].strip()[:60]


VALUE_RULES: tuple[Rule, ...] = (
    Rule("LOB/JSON/VECTOR column sorted or compared", _unsortable,
         "Oracle cannot sort, group, DISTINCT or UNION (without ALL) a LOB column (ORA-00932):"
         " order by a scalar (id, a score, a VARCHAR2 column), use UNION ALL, or select the"
         " ids first and join the wide columns afterwards",
         "SELECT DISTINCT t.text FROM memory_units t UNION SELECT u.text FROM memory_units u",
         "SELECT n.id, n.text FROM (SELECT t.id, t.text FROM memory_units t ORDER BY"
         " VECTOR_DISTANCE(t.embedding, :q, COSINE) FETCH FIRST :k ROWS ONLY) n UNION ALL"
         " SELECT v.id, v.text FROM memory_units v WHERE v.id IN (SELECT DISTINCT u.id FROM"
         " memory_units u) ORDER BY 1"),
    Rule("bind as a JSON path", _json_path_bind,
         "write the JSON path as a literal; pass values with PASSING :v AS \"v\" and $v",
         "SELECT 1 FROM t WHERE JSON_EXISTS(t.tags, :path)",
         "SELECT 1 FROM t WHERE JSON_EXISTS(t.tags, '$[0]')"
         " AND EXISTS (SELECT 1 FROM JSON_TABLE(:ids, '$[*]' COLUMNS (v NUMBER PATH '$')) j)"),
    Rule("bind as TARGET ACCURACY", regex(r"\bTARGET\s+ACCURACY\s+:"),
         "write the accuracy as a literal percentage (approx_limit(accuracy=n): one shape"
         " per value)",
         "SELECT a FROM t ORDER BY a FETCH APPROX FIRST :k ROWS ONLY WITH TARGET ACCURACY :acc",
         "SELECT a FROM t ORDER BY a FETCH APPROX FIRST :k ROWS ONLY WITH TARGET ACCURACY 90"),
    Rule("comparison with ''", regex(r"(?:=|<>|!=)\s*''|''\s*(?:=|<>|!=)"),
         "Oracle stores '' as NULL, so the comparison is never true: use IS NULL / IS NOT"
         " NULL, and reject empty text before SQL (repo/validation/text.py)",
         "SELECT a FROM t WHERE t.b = ''", "SELECT a FROM t WHERE t.b IS NULL AND t.c = 'x'"),
)  # fmt: skip
