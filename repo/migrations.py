"""Migration helpers shared by the Alembic tree, and programmatic `migrate()`.

The Alembic scripts live in `alembic/` in a checkout and in `repo/_alembic/` inside the
wheel, so an installed application can migrate its database.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from pathlib import Path

from alembic import command, op
from alembic.config import Config
from alembic.util.exc import CommandError as AlembicCommandError
from sqlalchemy import MetaData

from repo.backends.base import validate_schema_name
from repo.connecting import DEFAULT_CONNECT_TIMEOUT, connect_failure, validate_connect_timeout
from repo.errors import ConfigurationError, MemrepoError
from repo.urls import DatabaseURL
from schema.types import DEFAULT_EMBEDDING_DIM

#: Key of the PostgreSQL advisory lock that serialises concurrent migrators.
ADVISORY_LOCK_KEY = 0x6D656D7265706F  # "memrepo"

Step = Callable[[], None] | None

#: The largest embedding dimension both backends can index (pgvector's HNSW on `vector`
#: indexes at most 2,000 dimensions; Oracle's VECTOR allows 65,535).
MAX_EMBEDDING_DIM = 2000


def validate_dim(dim: object) -> int:
    """An embedding dimension: an integer from 1 to `MAX_EMBEDDING_DIM` (or its digits)."""
    if isinstance(dim, str) and dim.strip().isdigit():
        dim = int(dim)
    if not isinstance(dim, int) or isinstance(dim, bool) or not 1 <= dim <= MAX_EMBEDDING_DIM:
        raise ConfigurationError(
            f"invalid embedding dimension {dim!r}: use an integer from 1 to {MAX_EMBEDDING_DIM}"
        )
    return dim


def embedding_dim() -> int:
    """The embedding dimension a migration creates columns with: `migrate(..., dim=)`,
    `python -m repo migrate --dim`, `alembic -x dim=N` or `MEMREPO_DIM`; else 384."""
    config = op.get_context().config
    attributes = config.attributes if config is not None else {}
    return int(attributes.get("memrepo_dim", DEFAULT_EMBEDDING_DIM))


#: The full-text configuration a store gets unless a migration is told otherwise.
DEFAULT_TEXT_SEARCH_CONFIG = "english"
#: What a text-search configuration name may be: a plain lower-case identifier.
_TEXT_SEARCH_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
#: The configurations the Oracle half maps to an Oracle Text stoplist.
ORACLE_TEXT_SEARCH_CONFIGS = ("english", "simple")


def validate_text_search_config(name: object) -> str:
    """A text-search configuration name (PostgreSQL `regconfig`, e.g. `english`, `simple`):
    a lower-case identifier, so it can never carry SQL. Whether the server has it is
    checked by the migration that uses it."""
    if not isinstance(name, str) or not _TEXT_SEARCH_NAME.fullmatch(name):
        raise ConfigurationError(
            f"invalid text-search configuration {name!r}: use a lower-case name such as"
            " 'english' (the default) or 'simple' (no stemming, no stop words)"
        )
    return name


def text_search_config() -> str:
    """The text-search configuration a migration creates the stored text vector with:
    `migrate(..., text_search_config=)`, `python -m repo migrate --text-search`,
    `alembic -x text_search=NAME` or `MEMREPO_TEXT_SEARCH`; else `english`."""
    config = op.get_context().config
    attributes = config.attributes if config is not None else {}
    name = attributes.get("memrepo_text_search", DEFAULT_TEXT_SEARCH_CONFIG)
    return validate_text_search_config(name)


def migration_schema() -> str:
    """The tenant schema a migration runs in (`migrate(..., schema=)`, MEMREPO_SCHEMA)."""
    config = op.get_context().config
    attributes = config.attributes if config is not None else {}
    return str(attributes.get("memrepo_schema", "public"))


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


def alembic_config(
    url: str,
    schema: str = "public",
    dim: int | None = None,
    *,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    text_search_config: str | None = None,
) -> Config:
    """An Alembic config for `url`, tenant `schema`, embedding `dim` (None: 384 unless
    `MEMREPO_DIM` says otherwise) and `text_search_config` (None: `english` unless
    `MEMREPO_TEXT_SEARCH` says otherwise), independent of the working directory."""
    DatabaseURL.parse(url)
    validate_schema_name(schema)
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location()))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["memrepo_url"] = url
    cfg.attributes["memrepo_schema"] = schema
    cfg.attributes["memrepo_connect_timeout"] = validate_connect_timeout(connect_timeout)
    if dim is not None:
        cfg.attributes["memrepo_dim"] = validate_dim(dim)
    if text_search_config is not None:
        cfg.attributes["memrepo_text_search"] = validate_text_search_config(text_search_config)
    return cfg


def _run(url: str, connect_timeout: float, step: Callable[[], None]) -> None:
    """Run an Alembic command; every failure is a memrepo error that says what to do."""
    try:
        step()
    except MemrepoError:
        raise
    except AlembicCommandError as exc:
        raise ConfigurationError(f"migration failed: {exc}") from exc
    except Exception as exc:
        raise connect_failure(exc, DatabaseURL.parse(url), connect_timeout) from exc


def migrate_sync(
    url: str,
    *,
    schema: str = "public",
    revision: str = "head",
    dim: int | None = None,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    text_search_config: str | None = None,
) -> None:
    """Upgrade the schema to `revision` (blocking; not from inside an event loop).

    `dim` is the embedding dimension of a schema created here; an existing schema keeps
    its own (changing models is a data migration: docs/production.md). Likewise
    `text_search_config`, the full-text language of the stored text vectors (`english`;
    `simple` for text in other languages), is chosen when revision 0008 runs and kept.
    `connect_timeout` bounds the wait for the server (seconds). Every failure is a
    `MemrepoError`."""
    cfg = alembic_config(
        url, schema, dim, connect_timeout=connect_timeout, text_search_config=text_search_config
    )
    _run(url, connect_timeout, lambda: command.upgrade(cfg, revision))


def downgrade_sync(
    url: str,
    *,
    schema: str = "public",
    revision: str = "base",
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
) -> None:
    cfg = alembic_config(url, schema, connect_timeout=connect_timeout)
    _run(url, connect_timeout, lambda: command.downgrade(cfg, revision))


async def migrate(
    url: str,
    *,
    schema: str = "public",
    revision: str = "head",
    dim: int | None = None,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    text_search_config: str | None = None,
) -> None:
    """Upgrade the schema to `revision` (runs Alembic in a worker thread); see `migrate_sync`."""
    await asyncio.to_thread(
        migrate_sync,
        url,
        schema=schema,
        revision=revision,
        dim=dim,
        connect_timeout=connect_timeout,
        text_search_config=text_search_config,
    )


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Autogenerate/compare filter: skip what Alembic cannot compare or the metadata leaves
    to one dialect's migrations.

    PostgreSQL's stored text vector (`memory_units.search_vector`, a generated column whose
    expression names the store's text-search configuration) and its GIN index are created
    by revision 0008 and checked by their own test; Oracle-only indexes created by the
    migrations (Oracle Text, vector, function-based) carry the `ixo_` prefix.
    """
    if type_ == "column" and name in MIGRATION_ONLY_COLUMNS:
        return False
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
#: Indexes that autogenerate cannot compare: the stored vector's (on a column outside the
#: metadata) and the expression index revisions 0001-0007 had in its place.
EXPRESSION_INDEXES = frozenset({"ix_memory_units_search_vector", "ix_memory_units_text_fts"})
#: Columns of one dialect that the migrations manage outside the metadata.
MIGRATION_ONLY_COLUMNS = frozenset({"search_vector"})


def comparison_schema(backend: str, schema: str, default_schema: str | None) -> str | None:
    """The schema name Alembic compares a tenant in and keeps its version table under.

    None for the connection's default schema (and for Oracle's `public`, the user's own
    schema): Alembic reflects that schema as None, so naming it would make `alembic check`
    see the version table as an unknown table. Any other tenant is named explicitly, so
    reflection reads that schema's tables only, never what else the search path shows.
    """
    if (backend == "oracle" and schema == "public") or schema == default_schema:
        return None
    return schema


def comparison_target(target: MetaData, schema: str | None) -> MetaData:
    """`target` with its tables placed in `schema` (unchanged for None)."""
    if schema is None:
        return target
    placed = MetaData()
    for table in target.sorted_tables:
        copy = table.to_metadata(placed, schema=schema)
        # `ddl_if(dialect=...)` (indexes of one dialect) is not copied by to_metadata.
        ddl_ifs = {i.name: getattr(i, "_ddl_if", None) for i in table.indexes}
        for index in copy.indexes:
            if ddl_ifs.get(index.name) is not None:
                index._ddl_if = ddl_ifs[index.name]
    return placed


IncludeName = Callable[[str | None, str, Mapping[str, str | None]], bool]


def include_name_for(schema: str | None) -> IncludeName:
    """Compare the tenant's schema only (`include_schemas=True` lists every schema)."""

    def include(name: str | None, type_: str, parent_names: Mapping[str, str | None]) -> bool:
        return type_ != "schema" or name == schema

    return include
