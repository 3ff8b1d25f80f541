"""Stored text search over a unit's text and context, in the store's language.

The full-text configuration is chosen when this revision runs (`migrate(...,
text_search_config=)`, `alembic -x text_search=NAME`, `MEMREPO_TEXT_SEARCH`; default
`english`, `simple` for text in other languages) and kept by the schema itself:

- PostgreSQL: `memory_units.search_vector`, a stored generated tsvector over `text` and
  the first `CONTEXT_CHARS` characters of `context` (so a unit at the text limit plus any
  context stays under the 1 MB tsvector limit), with its own GIN index replacing the
  expression index on `to_tsvector('english', text)`; and the function
  `text_search_query(text)`, `websearch_to_tsquery` in the same configuration, which the
  queries call, so a store opened later matches its stored vectors whatever it is told.
  Adding the column rewrites the table once (existing rows get their vectors). A
  generated column takes no value: COPY and INSERT name their columns and leave it out.
  The vector makes a typical row ~2.3 KB, past PostgreSQL's 2 KB TOAST threshold, which
  would move the embedding (the largest value) out of the row: the table keeps rows up
  to 4 KB whole (`toast_tuple_target`) and the embedding's storage is MAIN, so a longer
  row gives up its text, context or vector to TOAST before its embedding.
- Oracle: the Oracle Text index on `text` is rebuilt with the configuration's stoplist
  (`english`: CTXSYS.DEFAULT_STOPLIST, `simple`: CTXSYS.EMPTY_STOPLIST) and a second one
  indexes `context`; queries match either column. Both synchronise at commit.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 03:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from repo.errors import ConfigurationError
from repo.migrations import ORACLE_TEXT_SEARCH_CONFIGS, run_for_dialect, text_search_config
from repo.oracle_ddl import guarded_drop_index, guarded_index

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Characters of `context` that go into the stored vector (text: 131,072 at most).
CONTEXT_CHARS = 8192
#: Rows up to this many bytes stay whole in the heap (PostgreSQL's default: 2032).
TOAST_TUPLE_TARGET = 4080


def _pg_vector(config: str) -> str:
    cfg = f"'{config}'::regconfig"
    return (
        f"to_tsvector({cfg}, text)"
        f" || to_tsvector({cfg}, left(coalesce(context, ''), {CONTEXT_CHARS}))"
    )


def _check_pg_config(config: str) -> None:
    found = op.get_bind().execute(
        sa.text(
            "SELECT count(*) FROM pg_ts_config"
            " WHERE cfgname = :name AND pg_ts_config_is_visible(oid)"
        ),
        {"name": config},
    )
    if not found.scalar():
        raise ConfigurationError(
            f"text-search configuration {config!r} does not exist on this server"
            " (SELECT cfgname FROM pg_ts_config lists them; 'simple' always exists)"
        )


def _pg_upgrade() -> None:
    config = text_search_config()  # a validated lower-case identifier
    if not op.get_context().as_sql:  # offline (SQL script) mode has no catalog to ask
        _check_pg_config(config)
    # Keep the embedding in the row: the vector makes a typical unit ~2.3 KB, past the
    # 2 KB at which PostgreSQL would move its largest value (the embedding) to TOAST,
    # which every semantic arm would then fetch back. Set before the rewrite below.
    op.execute(f"ALTER TABLE memory_units SET (toast_tuple_target = {TOAST_TUPLE_TARGET})")
    op.execute("ALTER TABLE memory_units ALTER COLUMN embedding SET STORAGE MAIN")
    op.execute(
        "ALTER TABLE memory_units ADD COLUMN search_vector tsvector"
        f" GENERATED ALWAYS AS ({_pg_vector(config)}) STORED"
    )
    op.execute(
        "CREATE INDEX ix_memory_units_search_vector ON memory_units USING gin (search_vector)"
    )
    op.execute("DROP INDEX IF EXISTS ix_memory_units_text_fts")
    op.execute(
        "CREATE OR REPLACE FUNCTION text_search_query(query text) RETURNS tsquery"
        " LANGUAGE sql IMMUTABLE PARALLEL SAFE"
        f" RETURN websearch_to_tsquery('{config}'::regconfig, query)"
    )


def _pg_downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS text_search_query(text)")
    op.execute("DROP INDEX IF EXISTS ix_memory_units_search_vector")
    op.execute("ALTER TABLE memory_units DROP COLUMN IF EXISTS search_vector")
    op.execute("ALTER TABLE memory_units ALTER COLUMN embedding SET STORAGE DEFAULT")
    op.execute("ALTER TABLE memory_units RESET (toast_tuple_target)")
    op.execute(
        "CREATE INDEX ix_memory_units_text_fts ON memory_units"
        " USING gin (to_tsvector('english'::regconfig, text))"
    )


_ORACLE_STOPLISTS = {"english": "CTXSYS.DEFAULT_STOPLIST", "simple": "CTXSYS.EMPTY_STOPLIST"}


def _oracle_text_index(name: str, column: str, parameters: str) -> str:
    ddl = (
        f"CREATE INDEX {name} ON memory_units ({column}) "
        f"INDEXTYPE IS CTXSYS.CONTEXT PARAMETERS ('{parameters}')"
    )
    return guarded_index(name, ddl, domain=True)


def _oracle_upgrade() -> None:
    config = text_search_config()
    if config not in ORACLE_TEXT_SEARCH_CONFIGS:
        raise ConfigurationError(
            f"text-search configuration {config!r} has no Oracle Text stoplist here:"
            f" use one of {', '.join(ORACLE_TEXT_SEARCH_CONFIGS)}"
        )
    parameters = f"STOPLIST {_ORACLE_STOPLISTS[config]} SYNC (ON COMMIT)"
    op.execute(guarded_drop_index("ixo_memory_units_text"))
    op.execute(_oracle_text_index("ixo_memory_units_text", "text", parameters))
    op.execute(_oracle_text_index("ixo_memory_units_context", "context", parameters))


def _oracle_downgrade() -> None:
    op.execute(guarded_drop_index("ixo_memory_units_context"))
    op.execute(guarded_drop_index("ixo_memory_units_text"))
    op.execute(_oracle_text_index("ixo_memory_units_text", "text", "SYNC (ON COMMIT)"))


def upgrade() -> None:
    run_for_dialect(pg=_pg_upgrade, oracle=_oracle_upgrade)


def downgrade() -> None:
    run_for_dialect(pg=_pg_downgrade, oracle=_oracle_downgrade)
