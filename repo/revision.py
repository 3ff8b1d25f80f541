"""Whether a tenant schema is migrated: its Alembic revision against this release's head.

A store opened without running migrations checks it first, so an unmigrated (or merely
created) schema is a clear `ConfigurationError`, not a missing table later.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from repo.backends.base import Backend
from repo.errors import ConfigurationError, ConnectionLostError, DatabaseError
from repo.migrations import alembic_config
from repo.sql.cache import Statement

#: The revision recorded in the tenant schema's own `alembic_version` table (the name
#: resolves in the tenant schema only: see the backends' session setup).
SCHEMA_REVISION = Statement(
    "schema.revision",
    sa.select(sa.column("version_num", sa.String(32))).select_from(sa.table("alembic_version")),
)


@functools.cache
def _scripts() -> ScriptDirectory:
    # The URL only selects a backend for the config; the scripts are the same for both.
    return ScriptDirectory.from_config(alembic_config("postgresql://localhost/memrepo"))


def head_revisions() -> frozenset[str]:
    """The head revision(s) of the migration scripts shipped with this release."""
    return frozenset(_scripts().get_heads())


def known_revisions() -> frozenset[str]:
    """Every revision of the migration scripts shipped with this release."""
    return frozenset(s.revision for s in _scripts().walk_revisions())


def _what_to_do(schema: str) -> str:
    return (
        f"run the migrations first: open_store(url, schema={schema!r}) (run_migrations=True),"
        f" repo.migrate(url, schema={schema!r}) or `python -m repo migrate URL --schema {schema}`"
    )


async def check_schema_revision(backend: Backend) -> None:
    """Raise `ConfigurationError` unless the backend's schema is migrated to the head."""
    schema = backend.schema
    try:
        rows = await backend.fetch(SCHEMA_REVISION)
    except ConnectionLostError:
        raise
    except DatabaseError:  # no alembic_version table in the schema (or no schema at all)
        raise ConfigurationError(
            f"schema {schema!r} holds no memrepo tables (it is not migrated): {_what_to_do(schema)}"
        ) from None
    found = {str(r[0]) for r in rows}
    if found - known_revisions():
        raise ConfigurationError(
            f"schema {schema!r} is at revision {', '.join(sorted(found))}, which this release"
            " does not know: it was migrated by a newer memrepo; upgrade memrepo"
        )
    if found != head_revisions():
        shown = ", ".join(sorted(found)) or "none"
        raise ConfigurationError(
            f"schema {schema!r} is at revision {shown}, this release needs"
            f" {', '.join(sorted(head_revisions()))}: {_what_to_do(schema)}"
        )
