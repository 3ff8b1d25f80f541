"""The backend interface: five verbs over compiled statements, plus bulk paths and transactions.

A verb takes a `Statement` and a mapping of parameter values; the backend looks up the
statement's SQL for its dialect (compiled once) and hands it to the driver.
"""

from __future__ import annotations

import abc
import contextlib
import re
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine.interfaces import Dialect

from repo.errors import ConfigurationError
from repo.rows import Row
from repo.sql.cache import Statement

EMPTY: Mapping[str, Any] = {}

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


#: Schemas the database owns: PostgreSQL's catalogs (`pg_catalog`, `pg_toast`, every
#: `pg_temp_n`...: any `pg_` name is reserved) and `information_schema`; Oracle's
#: built-in accounts (a tenant schema is an Oracle user of the upper-cased name).
RESERVED_SCHEMAS = frozenset(
    {
        "information_schema",
        # Oracle-maintained users (DBA_USERS.ORACLE_MAINTAINED = 'Y' in 23ai).
        "anonymous", "appqossys", "audsys", "ctxsys", "dbsfwuser", "dbsnmp", "dgpdb_int",
        "dip", "dvf", "dvsys", "ggsharedcap", "ggsys", "gsmadmin_internal", "gsmcatuser",
        "gsmrootuser", "gsmuser", "lbacsys", "mddata", "mdsys", "ojvmsys", "olapsys",
        "oracle_ocm", "orddata", "ordplugins", "ordsys", "outln", "pdbadmin",
        "remote_scheduler_agent", "si_informtn_schema", "sys", "sysbackup", "sysdg",
        "syskm", "sysrac", "system", "vecsys", "wmsys", "xdb",
    }
)  # fmt: skip


def validate_schema_name(name: str) -> str:
    """A tenant schema name: lower-case letters, digits and `_`, at most 63 characters,
    and not a schema of the database itself (`pg_*`, `information_schema`, Oracle's
    `sys`, `system`...).

    Anything else (quotes, spaces, `;`) is rejected before it reaches SQL.
    """
    if not isinstance(name, str) or not _SCHEMA_NAME.fullmatch(name):
        raise ConfigurationError(
            f"invalid schema name {name!r}: use [a-z_][a-z0-9_]* (at most 63 characters)"
        )
    if name.startswith("pg_") or name in RESERVED_SCHEMAS:
        raise ConfigurationError(
            f"schema name {name!r} is reserved by the database: choose another tenant name"
        )
    return name


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What differs between backends in storage, named so repositories never test the dialect."""

    #: Observation sources live in the `observation_sources` junction table (Oracle)
    #: instead of the `source_memory_ids` array column (PostgreSQL).
    uses_observation_sources_table: bool
    #: The driver has a bulk-load path faster than `executemany` (asyncpg COPY).
    has_copy: bool
    #: An approximate top-k takes its accuracy in the SQL (Oracle's `WITH TARGET
    #: ACCURACY`), not from session settings (pgvector's `hnsw.*`).
    target_accuracy_in_sql: bool = False
    #: One `array_upsert` statement writes its rows, and locks their keys, in the order
    #: of the bound arrays (PostgreSQL); otherwise batches run the one-row upsert per row.
    ordered_array_upsert: bool = False
    #: A semantic arm carries its exact search in the same statement, and the database
    #: skips it unless the index path returned fewer than k rows (PostgreSQL: a one-time
    #: filter over an InitPlan); otherwise a short arm's exact search is a second statement.
    inline_exact_fallback: bool = False


@dataclass(frozen=True, slots=True)
class PoolStats:
    """A connection pool's state at one moment."""

    #: Connections open (in use or idle).
    size: int
    #: Connections lent out (to a statement or a transaction).
    in_use: int
    #: Most connections the pool may open.
    max_size: int
    #: Callers waiting for a connection (None: the driver does not say).
    waiting: int | None

    @property
    def idle(self) -> int:
        return self.size - self.in_use


class Backend(abc.ABC):
    """A connection pool for one database and tenant schema, speaking compiled statements."""

    name: str
    dialect: Dialect
    capabilities: Capabilities
    schema: str
    #: The store's target accuracy for approximate top-k (Oracle; None: the index's own).
    target_accuracy: int | None = None

    @abc.abstractmethod
    async def fetch(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> list[Row]:
        """All rows of a query."""

    @abc.abstractmethod
    async def fetchrow(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> Row | None:
        """The first row of a query, or None."""

    @abc.abstractmethod
    async def fetchval(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> Any:
        """The first column of the first row, or None."""

    @abc.abstractmethod
    async def execute(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> int:
        """Run a statement; return the number of rows it affected."""

    @abc.abstractmethod
    async def executemany(self, stmt: Statement, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run a statement once per parameter mapping, atomically."""

    @abc.abstractmethod
    async def bulk_insert(
        self, table: sa.Table, columns: Sequence[str], records: Sequence[Sequence[Any]]
    ) -> None:
        """Insert many rows (tuples in `columns` order) by the driver's fastest path."""

    @abc.abstractmethod
    async def fetch_locked(
        self, stmt: Statement, params: Mapping[str, Any], limit: int
    ) -> list[Row]:
        """Up to `limit` rows of a `FOR UPDATE SKIP LOCKED` query, inside a transaction."""

    @abc.abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[None]:
        """A transaction; nested calls open savepoints. Verbs inside it share its connection."""

    def one_connection(self) -> AbstractAsyncContextManager[None]:
        """A block whose calls, outside a transaction, share one pooled connection: one
        acquisition (and one reset on release) for several statements. Each statement
        still runs on its own (autocommit), as outside the block; a transaction opened
        inside runs on the same connection. Calls inside must not run concurrently.
        Backends without a per-acquisition cost need not hold anything (the default)."""
        return contextlib.nullcontext()

    def vector_search(self, settings: Mapping[str, str]) -> AbstractAsyncContextManager[None]:
        """A block whose vector searches use `settings` (repo.vector_search: validated
        `hnsw.*` values) over the store's, and whose settings end with it."""
        if settings:
            raise ConfigurationError(f"{self.name}: vector search knobs are for pgvector")
        return contextlib.nullcontext()

    async def maintain_vector_index(self) -> str:
        """Build the vector index from the rows present, where the index needs it (Oracle's
        IVF index, after the first load and after large loads); "not-needed" elsewhere
        (pgvector's HNSW index grows with the rows). See docs/oracle.md."""
        return "not-needed"

    @abc.abstractmethod
    async def maintain(self, tables: Sequence[str], *, reindex: bool, timeout: float) -> list[str]:
        """Maintain `tables` of the tenant schema (repo.maintenance): outside any
        transaction, each statement alone, within `timeout` seconds; the statements run."""

    @abc.abstractmethod
    async def vector_dimension(self, table: str, column: str) -> int | None:
        """The declared dimension of a vector column of the tenant schema (None: no such
        column or table, or a column of any dimension)."""

    def for_schema(self, schema: str) -> Backend:
        """The same pool serving another tenant schema."""
        raise NotImplementedError(f"{self.name}: one pool per tenant schema (open_store(schema=))")

    def using(self, conn: Any) -> AbstractAsyncContextManager[None]:
        """Run a block's calls on the application's connection, inside its transaction."""
        raise NotImplementedError(f"{self.name}: calls run on memrepo's own pool only")

    @abc.abstractmethod
    def pool_stats(self) -> PoolStats:
        """The pool's size, connections in use and callers waiting, now."""

    @abc.abstractmethod
    def fulltext_query(self, text: str, mode: str = "all") -> str:
        """Turn any user text into a full-text query this backend accepts: every term
        (`all`) or any term, ranked (`any`)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Close the pool."""
