"""Memory lifecycle: unit consolidation state, invalidation (curation) and observation
history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 00:30:00.000000

Existing rows are kept as they are: every new unit column is nullable and starts NULL
(not consolidated, not failed, not invalidated); the history table starts empty.

The Oracle half is resumable (its DDL commits statement by statement): a column, table
or index that an interrupted run already added is skipped (the columns are checked in
ALL_TAB_COLUMNS, tables and indexes use 23ai's IF NOT EXISTS), and the downgrade drops
only what is there.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import oracle, postgresql

from repo.migrations import run_for_dialect
from repo.oracle_ddl import guarded_column

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNIT_COLUMNS = ("consolidated_at", "consolidation_failed_at", "invalidated_at")
_CONSOLIDATED_INDEX = ["bank_id", "consolidated_at", "created_at", "id"]


def _upgrade(uid: sa.types.TypeEngine[object], tstz: sa.types.TypeEngine[object],
             json: sa.types.TypeEngine[object], *, resumable: bool = False) -> None:  # fmt: skip
    """`resumable` (Oracle): every step is skipped when what it creates exists."""
    guard = {"if_not_exists": True} if resumable else {}
    for name in _UNIT_COLUMNS:
        if resumable:
            ddl = f"ALTER TABLE memory_units ADD {name} TIMESTAMP WITH TIME ZONE"
            op.execute(sa.DDL(guarded_column("memory_units", name, ddl)))
        else:
            op.add_column("memory_units", sa.Column(name, tstz, nullable=True))
    op.create_index(
        "ix_memory_units_bank_consolidated", "memory_units", _CONSOLIDATED_INDEX, **guard
    )
    op.create_table(
        "observation_history",
        sa.Column("id", uid, nullable=False),
        sa.Column("bank_id", sa.String(length=255), nullable=False),
        sa.Column("observation_id", uid, nullable=False),
        sa.Column("previous_text", sa.Text(), nullable=False),
        sa.Column("sources_added", json, nullable=True),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("created_at", tstz, nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.bank_id"],
            name=op.f("fk_observation_history_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["memory_units.id"],
            name=op.f("fk_observation_history_observation_id_memory_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observation_history")),
        **guard,
    )
    op.create_index(
        "ix_observation_history_observation",
        "observation_history",
        ["bank_id", "observation_id", "created_at"],
        **guard,
    )


def _downgrade(*, resumable: bool = False) -> None:
    """`resumable` (Oracle): what an interrupted downgrade already dropped is skipped."""
    guard = {"if_exists": True} if resumable else {}
    op.drop_index("ix_observation_history_observation", table_name="observation_history", **guard)
    op.drop_table("observation_history", **guard)
    op.drop_index("ix_memory_units_bank_consolidated", table_name="memory_units", **guard)
    for name in reversed(_UNIT_COLUMNS):
        if resumable:
            ddl = f"ALTER TABLE memory_units DROP COLUMN {name}"
            op.execute(sa.DDL(guarded_column("memory_units", name, ddl, drop=True)))
        else:
            op.drop_column("memory_units", name)


def _pg_upgrade() -> None:
    _upgrade(postgresql.UUID(), sa.DateTime(timezone=True), postgresql.JSONB())


def _pg_downgrade() -> None:
    _downgrade()


def _oracle_upgrade() -> None:
    """The same objects in Oracle 23ai types: RAW(16), TIMESTAMP WITH TIME ZONE (not DATE),
    native JSON, CLOB for the previous text (never compared or ordered)."""
    _upgrade(oracle.RAW(16), oracle.TIMESTAMP(timezone=True), sa.JSON(), resumable=True)


def _oracle_downgrade() -> None:
    _downgrade(resumable=True)


def upgrade() -> None:
    run_for_dialect(pg=_pg_upgrade, oracle=_oracle_upgrade)


def downgrade() -> None:
    run_for_dialect(pg=_pg_downgrade, oracle=_oracle_downgrade)
