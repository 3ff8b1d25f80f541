"""Chunk content hashes, for delta re-ingest: `chunks.content_hash` (SHA-256 of the chunk
text's UTF-8 bytes, lowercase hex, as `repo.repositories.documents.content_hash`).

NULL means "unknown": re-ingest treats such a chunk as changed (its units are replaced
once, and the chunk gets its hash). PostgreSQL fills the hash of existing chunks in the
upgrade (`sha256` over `convert_to(text, 'UTF8')`); Oracle leaves them NULL (its
STANDARD_HASH takes no CLOB, and DBMS_CRYPTO needs a grant the migrating role may lack).

The Oracle half is resumable: the column is added (dropped) only if ALL_TAB_COLUMNS of
the migrating schema lacks (has) it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 02:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from repo.migrations import run_for_dialect
from repo.oracle_ddl import guarded_column

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_BACKFILL = "UPDATE chunks SET content_hash = encode(sha256(convert_to(text, 'UTF8')), 'hex')"


def _add() -> None:
    op.add_column("chunks", sa.Column("content_hash", sa.String(length=64), nullable=True))


def _pg_upgrade() -> None:
    _add()
    op.execute(PG_BACKFILL)


def _drop() -> None:
    op.drop_column("chunks", "content_hash")


def _oracle_add() -> None:
    ddl = "ALTER TABLE chunks ADD content_hash VARCHAR2(64 CHAR)"
    op.execute(sa.DDL(guarded_column("chunks", "content_hash", ddl)))


def _oracle_drop() -> None:
    ddl = "ALTER TABLE chunks DROP COLUMN content_hash"
    op.execute(sa.DDL(guarded_column("chunks", "content_hash", ddl, drop=True)))


def upgrade() -> None:
    run_for_dialect(pg=_pg_upgrade, oracle=_oracle_add)


def downgrade() -> None:
    run_for_dialect(pg=_drop, oracle=_oracle_drop)
