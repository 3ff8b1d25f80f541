"""What every Oracle scan rule is made of (`Rule`), and the text preparation the rules share:
string literals and comments blanked, bind names blanked, statements split, parenthesis
depths (tests/oracle_scan.py, tests/oracle_scan_values.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

Finder = Callable[[str], Iterator[tuple[int, str]]]


@dataclass(frozen=True)
class Rule:
    """One forbidden construct: `find(sql)` yields (offset, what was found)."""

    name: str
    find: Finder
    fix: str
    bad: str  # an example the rule must flag
    good: str  # the Oracle form, which it must not flag


# --------------------------------------------------------------------------- preparing text


def blank_literals(sql: str) -> str:
    """`sql` with string literals emptied and `--` comments removed, offsets preserved."""

    def spaces(m: re.Match[str]) -> str:
        return " " * len(m.group(0))

    sql = re.sub(r"'(?:[^']|'')*'", lambda m: "'" + " " * (len(m.group(0)) - 2) + "'", sql)
    sql = re.sub(r"q'~.*?~'", spaces, sql, flags=re.S)
    return re.sub(r"--[^\n]*", spaces, sql)


def blank_binds(sql: str) -> str:
    """Bind names replaced by `:b` padded to length (so `:limit` is not LIMIT)."""
    return re.sub(r"(?<![:\w]):\w+", lambda m: ":b" + " " * (len(m.group(0)) - 2), sql)


def statements(sql: str) -> Iterator[tuple[int, str]]:
    """(offset, text) of each statement of a script (`/` lines or `;` separate them)."""
    start = 0
    for m in re.finditer(r"^/\s*$|;", sql, flags=re.M):
        yield start, sql[start : m.start()]
        start = m.end()
    yield start, sql[start:]


def depths(sql: str) -> list[int]:
    """The parenthesis depth at every offset of `sql`."""
    out, depth = [], 0
    for ch in sql:
        if ch == "(":
            depth += 1
        out.append(depth)
        if ch == ")":
            depth -= 1
    return out


def matching_paren(sql: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(sql)):
        if sql[i] == "(":
            depth += 1
        elif sql[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return len(sql)


def regex(pattern: str, flags: int = re.I) -> Finder:
    compiled = re.compile(pattern, flags)

    def find(sql: str) -> Iterator[tuple[int, str]]:
        for m in compiled.finditer(blank_binds(sql)):
            yield m.start(), m.group(0).strip()

    return find
