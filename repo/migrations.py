"""Migration helpers shared by the Alembic tree, and programmatic `migrate()`.

The Alembic scripts live in `alembic/` in a checkout and in `repo/_alembic/` inside the
wheel, so an installed application can migrate its database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from alembic import command, op
from alembic.config import Config

from repo.backends.base import validate_schema_name
from repo.urls import backend_name

#: Key of the PostgreSQL advisory lock that serialises concurrent migrators.
ADVISORY_LOCK_KEY = 0x6D656D7265706F  # "memrepo"

Step = Callable[[], None] | None


def run_for_dialect(*, pg: Step, oracle: Step) -> None:
    """Run the step for the migrating connection's dialect (None is a deliberate no-op)."""
    name = op.get_context().dialect.name
    steps = {"postgresql": pg, "oracle": oracle}
    if name not in steps:
        raise NotImplementedError(f"no migration step for dialect {name!r}")
    step = steps[name]
    if step is not None:
        step()


def script_location() -> Path:
    """The Alembic script directory: packaged copy first, then the checkout's."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_alembic", here.parent / "alembic"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("memrepo's alembic scripts are missing from this installation")


def alembic_config(url: str, schema: str = "public") -> Config:
    """An Alembic config for `url` and tenant `schema`, independent of the working directory."""
    backend_name(url)
    validate_schema_name(schema)
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location()))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["memrepo_url"] = url
    cfg.attributes["memrepo_schema"] = schema
    return cfg


def migrate_sync(url: str, *, schema: str = "public", revision: str = "head") -> None:
    """Upgrade the schema to `revision` (blocking; not from inside an event loop)."""
    command.upgrade(alembic_config(url, schema), revision)


def downgrade_sync(url: str, *, schema: str = "public", revision: str = "base") -> None:
    command.downgrade(alembic_config(url, schema), revision)


async def migrate(url: str, *, schema: str = "public", revision: str = "head") -> None:
    """Upgrade the schema to `revision` (runs Alembic in a worker thread)."""
    await asyncio.to_thread(migrate_sync, url, schema=schema, revision=revision)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Autogenerate/compare filter: skip what Alembic cannot compare or the metadata leaves
    to one dialect's migrations.

    Expression indexes (PostgreSQL's full-text GIN index) are not comparable by
    autogenerate and are checked by their own test; Oracle-only indexes created by the
    migrations (Oracle Text, vector, function-based) carry the `ixo_` prefix.
    """
    if type_ != "index" or name is None:
        return True
    return name not in EXPRESSION_INDEXES and not name.startswith(DIALECT_ONLY_INDEX_PREFIXES)


IncludeObject = Callable[[object, "str | None", str, bool, object], bool]


def include_object_for(dialect: str) -> IncludeObject:
    """`include_object` for one dialect: metadata indexes declared for another dialect only
    (`ddl_if(dialect=...)`, e.g. PostgreSQL's HNSW and GIN indexes) are not expected there."""

    def include(
        obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
    ) -> bool:
        ddl_if = getattr(obj, "_ddl_if", None)
        if not reflected and ddl_if is not None and ddl_if.dialect not in (None, dialect):
            return False
        return include_object(obj, name, type_, reflected, compare_to)

    return include


#: Index name prefixes that exist on one dialect only and are managed by migrations.
DIALECT_ONLY_INDEX_PREFIXES: tuple[str, ...] = ("ixo_",)
#: Expression indexes that autogenerate cannot compare.
EXPRESSION_INDEXES = frozenset({"ix_memory_units_text_fts"})
