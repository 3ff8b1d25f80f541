"""The `Row` protocol: what every backend's rows offer, natively.

PostgreSQL returns `asyncpg.Record` untouched (it satisfies the protocol in C);
Oracle rows are built once per row by a cursor row factory into `MappingRow`,
a `dict` subclass, so key access is a plain dict lookup.

Iteration is deliberately not part of the protocol: a `Record` iterates values,
a mapping iterates keys. Use `keys()`, `values()` or `items()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Row(Protocol):
    """A result row: access by column name or position, plus the read-only mapping API."""

    def __getitem__(self, key: str | int, /) -> Any: ...

    def get(self, key: str, default: Any = None, /) -> Any: ...

    def keys(self) -> Iterable[str]: ...

    def values(self) -> Iterable[Any]: ...

    def items(self) -> Iterable[tuple[str, Any]]: ...

    def __contains__(self, key: object, /) -> bool: ...

    def __len__(self) -> int: ...


class MappingRow(dict[str, Any]):
    """A row as a dict with lower-case column names; `row[i]` reads the i-th column.

    Name access is dict's own C lookup; only positional access (rare) goes through
    `__missing__`.
    """

    __slots__ = ()

    def __missing__(self, key: object) -> Any:
        if isinstance(key, int) and not isinstance(key, bool):
            return list(self.values())[key]
        raise KeyError(key)
