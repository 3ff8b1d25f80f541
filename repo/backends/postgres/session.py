"""Where a PostgreSQL store's session settings live, and the SQL that applies them.

A store needs these settings on the connection a statement runs on: `search_path` (its
tenant schema), `hnsw.iterative_scan` (filtered vector searches still return k rows),
`hnsw.ef_search` and any other vector index knob of the store (`VectorSearch`),
`plan_cache_mode` (prepared statements planned for their values) and, if asked,
`statement_timeout`. How they get there depends on who owns the connection:

- `STARTUP`: memrepo's own pool for one schema: in the startup packet, no round trip.
- `SESSION`: another schema on that pool (`store.tenant(...)`), or a pool the application
  created: a `SET` before a statement outside a transaction (asyncpg's pool runs
  `RESET ALL` when the connection goes back), and `SET LOCAL` in the same round trip as
  `BEGIN` for a transaction.
- `TRANSACTION`: behind a transaction pooler (PgBouncer `pool_mode = transaction`), no
  session state survives a transaction: every statement runs in a transaction that
  begins with `BEGIN; SET LOCAL ...` in one round trip.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence

from repo.backends.base import validate_schema_name


class Apply(enum.Enum):
    """Where the session settings are applied (see the module docstring)."""

    STARTUP = "startup"
    SESSION = "session"
    TRANSACTION = "transaction"


#: Settings every memrepo connection needs besides the search path.
BASE_SETTINGS: Mapping[str, str] = {
    "hnsw.iterative_scan": "strict_order",
    "hnsw.ef_search": "200",  # pgvector's 40 misses neighbours (docs/recall.md, ANN quality)
    # Plan every execution of a prepared statement for its values: a filtered arm's best
    # plan (the HNSW index, or the filter's own index and an exact sort) depends on how
    # many units the filter's values keep, which a generic plan cannot see (docs/recall.md).
    "plan_cache_mode": "force_custom_plan",
}


def store_settings(schema: str, statement_timeout_ms: int | None = None) -> dict[str, str]:
    """The settings of a store on `schema`, as `SET` values (identifiers are validated)."""
    settings = {"search_path": search_path(schema), **BASE_SETTINGS}
    if statement_timeout_ms is not None:
        settings["statement_timeout"] = str(int(statement_timeout_ms))
    return settings


def search_path(schema: str) -> str:
    """The search path of a tenant: its schema alone, so a table missing there is an error,
    never another schema's table (`pg_temp` last, so not even a temporary table shadows
    one); pgvector's operator is qualified in the SQL (repo.sql.constructs)."""
    return f'"{validate_schema_name(schema)}", pg_temp'


_NAME = re.compile(r"[a-z_][a-z0-9_.]*")


def setting_name(name: str) -> str:
    """A plain setting name (rejected before it reaches SQL otherwise)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"invalid setting name {name!r}")
    return name


def _value(name: str, value: str) -> str:
    # search_path is a list of (validated, quoted) identifiers; others are literals.
    if name == "search_path":
        return value
    return "'" + value.replace("'", "''") + "'"


def set_sql(settings: Mapping[str, str], *, local: bool) -> str:
    """`SET [LOCAL] name TO value; ...` for every setting, one simple-query string."""
    verb = "SET LOCAL" if local else "SET"
    return "; ".join(
        f"{verb} {setting_name(name)} TO {_value(name, v)}" for name, v in settings.items()
    )


def begin_sql(settings: Mapping[str, str], apply: Apply) -> str:
    """What opens a transaction: `BEGIN`, plus the settings when connections lack them."""
    if apply is Apply.STARTUP:
        return "BEGIN"
    return "BEGIN; " + set_sql(settings, local=True)


def swap_settings_sql(names: Sequence[str]) -> str:
    """One query that returns the current values of `names` and sets new ones ($1...) for
    the rest of the transaction (the select list is evaluated left to right)."""
    names = [setting_name(n) for n in names]
    old = ", ".join(f"current_setting('{n}', true) AS c{i}" for i, n in enumerate(names))
    new = ", ".join(f"set_config('{n}', ${i + 1}, true)" for i, n in enumerate(names))
    return f"SELECT {old}, {new}"
