"""The compiled-statement cache: (statement shape, dialect) -> (SQL text, parameter order).

Every query is a `Statement` (one Core statement) or a `StatementFamily` (one Core
statement per shape, e.g. which optional filters are present). Each shape is compiled
once per dialect, on first use, and never again: the hot path is two dict lookups.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql import ClauseElement, visitors
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine

from repo.errors import StatementParameterError
from repo.sql.oracle_reserved import RESERVED_WORDS

_compiles = 0


def compile_count() -> int:
    """How many times any statement has been compiled in this process."""
    return _compiles


@dataclass(frozen=True, slots=True)
class CompiledSQL:
    """SQL text for one dialect and the names of its parameters in bind order."""

    name: str
    sql: str
    params: tuple[str, ...]
    positional: bool
    #: The dialect's type of each parameter, in `params` order (variants resolved), for
    #: drivers that need bind types (python-oracledb: vectors vs JSON lists, RAW, JSON).
    types: tuple[TypeEngine[Any], ...] = field(default=(), compare=False, repr=False)

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        """Positional arguments for drivers with `$n` parameters (asyncpg)."""
        try:
            return [values[p] for p in self.params]
        except KeyError as exc:
            raise StatementParameterError(
                f"statement {self.name!r} needs parameter {exc.args[0]!r}"
            ) from None

    def named(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Named arguments for drivers with `:name` parameters (python-oracledb)."""
        try:
            return {p: values[p] for p in self.params}
        except KeyError as exc:
            raise StatementParameterError(
                f"statement {self.name!r} needs parameter {exc.args[0]!r}"
            ) from None


def _statement_names(stmt: ClauseElement, compiled: SQLCompiler) -> set[str]:
    """Bind names, selected column keys, labels, aliases and the column names of every
    table a statement touches."""
    names = set(compiled.binds)
    names.update(entry.keyname for entry in compiled._result_columns)
    for element in visitors.iterate(stmt):
        table = element if isinstance(element, sa.Table) else getattr(element, "table", None)
        if isinstance(table, sa.Table):
            names.update(c.name for c in table.columns)
        label = getattr(element, "name", None)
        if isinstance(element, sa.Label | sa.Alias | sa.ColumnClause) and isinstance(label, str):
            names.add(label)
    return names


def reserved_names(stmt: ClauseElement, compiled: SQLCompiler, dialect: Dialect) -> list[str]:
    """The names of `stmt` that are reserved words of `dialect` (quoted or not, they are
    not allowed: see repo/sql/oracle_reserved.py)."""
    reserved = RESERVED_WORDS.get(dialect.name)
    if not reserved:
        return []
    return sorted(n for n in _statement_names(stmt, compiled) if n.upper() in reserved)


def compile_statement(name: str, stmt: ClauseElement, dialect: Dialect) -> CompiledSQL:
    """Compile `stmt` for `dialect`; bound values must all be `bindparam`s without values."""
    global _compiles
    _compiles += 1
    compiled = stmt.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    positiontup = getattr(compiled, "positiontup", None)
    if positiontup is not None:
        order: tuple[str, ...] = tuple(dict.fromkeys(positiontup))
        positional = True
    else:
        order = tuple(compiled.binds)
        positional = False
    literal = [n for n, b in compiled.binds.items() if b.value is not None or b.callable]
    if literal:
        raise ValueError(f"statement {name!r} binds literal values {literal}; use bindparam()")
    escaped = getattr(compiled, "escaped_bind_names", None)
    if escaped:
        raise ValueError(f"statement {name!r} uses bind names the dialect must quote: {escaped}")
    reserved = reserved_names(stmt, compiled, dialect)
    if reserved:
        raise ValueError(
            f"statement {name!r} uses {dialect.name} reserved words as names: {reserved} "
            "(rename the column, label or bindparam; see repo/sql/oracle_reserved.py)"
        )
    if "POSTCOMPILE" in compiled.string:
        raise ValueError(f"statement {name!r} has a post-compile parameter; bind it instead")
    types = tuple(compiled.binds[p].type.dialect_impl(dialect) for p in order)
    return CompiledSQL(name, compiled.string, order, positional, types)


class Statement:
    """One named Core statement, compiled once per dialect.

    `overrides` maps a dialect name to a different Core statement for that dialect
    (used only where the dialects need a different statement shape, e.g. Oracle's
    `FOR UPDATE SKIP LOCKED` without `FETCH FIRST`).
    """

    __slots__ = ("_compiled", "_overrides", "name", "only", "stmt")

    def __init__(
        self,
        name: str,
        stmt: ClauseElement,
        *,
        overrides: Mapping[str, ClauseElement] | None = None,
        only: str | None = None,
        register: bool = True,
    ) -> None:
        self.name = name
        #: The one dialect this statement is for (behind a capability flag), or None for all.
        self.only = only
        self.stmt = stmt
        self._overrides = dict(overrides or {})
        self._compiled: dict[str, CompiledSQL] = {}
        if register:
            REGISTRY.add(self)

    def compiled(self, dialect: Dialect) -> CompiledSQL:
        """The cached compilation for `dialect` (compiled on first use)."""
        try:
            return self._compiled[dialect.name]
        except KeyError:
            if self.only is not None and self.only != dialect.name:
                raise ValueError(f"statement {self.name!r} is for {self.only} only") from None
            stmt = self._overrides.get(dialect.name, self.stmt)
            result = compile_statement(self.name, stmt, dialect)
            self._compiled[dialect.name] = result
            return result

    def __repr__(self) -> str:
        return f"Statement({self.name!r})"


def _label(value: Hashable) -> str:
    """A shape value as it appears in a statement name (tuples as `a+b`)."""
    if isinstance(value, tuple):
        return "+".join(map(str, value))
    return str(value)


class StatementFamily:
    """Statements that differ by shape (e.g. optional filters). Each shape is built once.

    `build(**shape)` returns the Core statement for a shape; shapes are keyword flags.
    `only(**shape)`, when given, names the one dialect a shape is for (a shape behind a
    capability flag), or None for every dialect.
    """

    __slots__ = ("_build", "_only", "_shapes", "all_shapes", "name")

    def __init__(
        self,
        name: str,
        build: Callable[..., ClauseElement],
        all_shapes: Sequence[Mapping[str, Hashable]],
        *,
        only: Callable[..., str | None] | None = None,
    ) -> None:
        self.name = name
        self._build = build
        self._only = only
        self.all_shapes = tuple(dict(s) for s in all_shapes)
        self._shapes: dict[tuple[tuple[str, Hashable], ...], Statement] = {}
        REGISTRY.add_family(self)

    def shape(self, **flags: Hashable) -> Statement:
        """The statement for one shape."""
        key = tuple(sorted(flags.items()))
        try:
            return self._shapes[key]
        except KeyError:
            label = ",".join(f"{k}={_label(v)}" for k, v in key)
            only = self._only(**flags) if self._only is not None else None
            stmt = Statement(
                f"{self.name}[{label}]", self._build(**flags), only=only, register=False
            )
            self._shapes[key] = stmt
            return stmt

    def statements(self) -> Iterator[Statement]:
        """One statement per declared shape."""
        for flags in self.all_shapes:
            yield self.shape(**flags)


def flag_shapes(*names: str) -> list[dict[str, Hashable]]:
    """Every combination of boolean flags `names` (for `StatementFamily.all_shapes`)."""
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product((False, True), repeat=len(names))
    ]


class Registry:
    """Every statement and family defined by the repositories (for golden files and tests)."""

    def __init__(self) -> None:
        self._statements: dict[str, Statement] = {}
        self._families: dict[str, StatementFamily] = {}

    def add(self, stmt: Statement) -> None:
        if stmt.name in self._statements or stmt.name in self._families:
            raise ValueError(f"duplicate statement name {stmt.name!r}")
        self._statements[stmt.name] = stmt

    def add_family(self, family: StatementFamily) -> None:
        if family.name in self._statements or family.name in self._families:
            raise ValueError(f"duplicate statement name {family.name!r}")
        self._families[family.name] = family

    def families(self) -> list[StatementFamily]:
        return list(self._families.values())

    def all_statements(self) -> list[Statement]:
        """Every plain statement and every declared shape of every family."""
        out = list(self._statements.values())
        for family in self._families.values():
            out.extend(family.statements())
        return sorted(out, key=lambda s: s.name)


REGISTRY = Registry()


def _every_shape() -> Iterator[Statement]:
    """Every plain statement and every shape built so far (declared or not)."""
    yield from REGISTRY.all_statements()
    for family in REGISTRY.families():
        declared = {tuple(sorted(shape.items())) for shape in family.all_shapes}
        yield from (s for key, s in family._shapes.items() if key not in declared)


def reset_compiled() -> None:
    """Forget every compilation (tests use this to count compilations from a clean slate)."""
    for stmt in _every_shape():
        stmt._compiled.clear()


def compiled_entries() -> int:
    """How many (statement shape, dialect) compilations are cached right now."""
    return sum(len(stmt._compiled) for stmt in _every_shape())
