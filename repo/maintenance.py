"""`store.maintain(...)`: keep a store's tables fast after heavy writes.

A bank's rows live in its store's shared tables (every table is keyed by `bank_id`), so
maintenance is per table of the store's schema:

- PostgreSQL: `VACUUM (ANALYZE)` of each table (removes dead rows, from the heap and from
  every index, HNSW included, and refreshes the planner's statistics); with
  `reindex=True`, first `REINDEX INDEX CONCURRENTLY` of each vector index (a fresh graph
  without the dead entries, reads and writes going on meanwhile; much faster than
  vacuuming an HNSW index after many deletes, pgvector's advice).
- Oracle: `DBMS_STATS.GATHER_TABLE_STATS` of each table (Oracle has no dead rows to
  vacuum); with `reindex=True`, the vector index is rebuilt from the rows present
  (`maintain_vector_index()`).

Neither can run inside a transaction (VACUUM and REINDEX CONCURRENTLY refuse a
transaction block): inside `store.transaction()` or `store.using(conn)` it is a
`ConfigurationError`. Each statement runs on a connection of its own, alone (never wrapped
in `BEGIN`, whatever `settings_per_transaction` says), and ends within `timeout` seconds
(the server cancels it: `StatementTimeoutError`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from repo.errors import ValidationError
from schema.tables import metadata

#: Every table of a store, in the order they are maintained.
STORE_TABLES: tuple[str, ...] = tuple(sorted(metadata.tables))
DEFAULT_TIMEOUT = 600.0


@dataclass(frozen=True, slots=True)
class MaintenanceReport:
    """What `store.maintain()` ran: the statements (in order) and how long it took."""

    statements: tuple[str, ...]
    seconds: float


def check_maintenance(tables: Sequence[str] | None, timeout: object) -> tuple[str, ...]:
    """The tables to maintain (all of the store's when None); bad input is a
    `ValidationError` before any SQL runs."""
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise ValidationError("timeout", "must be a number of seconds")
    if not math.isfinite(timeout) or timeout <= 0:
        raise ValidationError("timeout", "must be a positive, finite number of seconds")
    if tables is None:
        return STORE_TABLES
    if isinstance(tables, str) or not isinstance(tables, Sequence) or not tables:
        raise ValidationError("tables", "must be a non-empty sequence of table names")
    unknown = [t for t in tables if t not in STORE_TABLES]
    if unknown:
        raise ValidationError("tables", f"not tables of a store: {unknown!r}")
    return tuple(dict.fromkeys(tables))
