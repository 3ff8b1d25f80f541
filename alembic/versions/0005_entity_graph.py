"""Entity graph: entity co-occurrence counts and trigram search over entity names.

- entity_cooccurrences (bank_id, entity_id, other_id, units): both directions of every
  pair of entities mentioned by the same unit, with how many units mention both; keys
  and foreign keys are bank-scoped like every table's since 0003. The upgrade fills it
  from the existing mentions, so it is true for data written before it.
- PostgreSQL: the pg_trgm extension (in `public`, next to `vector`; trusted, so the
  migrating role needs no superuser) and a GiST `gist_trgm_ops` index on
  entities.canonical_name for nearest-name search. Oracle has no trigram index: names
  are matched with UTL_MATCH (see repo/sql/fuzzy.py).

The Oracle half is resumable (its DDL commits statement by statement): the table and
indexes use 23ai's IF NOT EXISTS (IF EXISTS to drop), and the backfill first deletes what
an interrupted run may have left, so it counts every pair once.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 01:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import oracle, postgresql

from repo.migrations import run_for_dialect

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Every pair of distinct entities of a unit, both directions, counted over units.
BACKFILL = (
    "INSERT INTO entity_cooccurrences (bank_id, entity_id, other_id, units) "
    "SELECT a.bank_id, a.entity_id, b.entity_id, COUNT(*) FROM unit_entities a "
    "JOIN unit_entities b ON b.bank_id = a.bank_id AND b.unit_id = a.unit_id "
    "AND b.entity_id <> a.entity_id GROUP BY a.bank_id, a.entity_id, b.entity_id"
)


def _create(uid: sa.types.TypeEngine[object], *, resumable: bool = False) -> None:
    """`resumable` (Oracle): existing objects are skipped, the backfill replaces rows."""
    guard = {"if_not_exists": True} if resumable else {}
    op.create_table(
        "entity_cooccurrences",
        sa.Column("bank_id", sa.String(length=255), nullable=False),
        sa.Column("entity_id", uid, nullable=False),
        sa.Column("other_id", uid, nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.CheckConstraint("units >= 0", name=op.f("ck_entity_cooccurrences_units")),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.bank_id"],
            name=op.f("fk_entity_cooccurrences_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["bank_id", "entity_id"],
            ["entities.bank_id", "entities.id"],
            name="fk_entity_cooccurrences_entity",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["bank_id", "other_id"],
            ["entities.bank_id", "entities.id"],
            name="fk_entity_cooccurrences_other",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "bank_id", "entity_id", "other_id", name=op.f("pk_entity_cooccurrences")
        ),
        **guard,
    )
    op.create_index(
        "ix_entity_cooccurrences_strongest",
        "entity_cooccurrences",
        ["bank_id", "entity_id", "units"],
        **guard,
    )
    op.create_index(
        "ix_entity_cooccurrences_other", "entity_cooccurrences", ["bank_id", "other_id"], **guard
    )
    if resumable:
        op.execute("DELETE FROM entity_cooccurrences")
    op.execute(BACKFILL)


def _drop(*, resumable: bool = False) -> None:
    guard = {"if_exists": True} if resumable else {}
    op.drop_index("ix_entity_cooccurrences_other", table_name="entity_cooccurrences", **guard)
    op.drop_index("ix_entity_cooccurrences_strongest", table_name="entity_cooccurrences", **guard)
    op.drop_table("entity_cooccurrences", **guard)


def _pg_upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    op.create_index(
        "ix_entities_name_trgm",
        "entities",
        ["canonical_name"],
        postgresql_using="gist",
        postgresql_ops={"canonical_name": "gist_trgm_ops"},
    )
    _create(postgresql.UUID())


def _pg_downgrade() -> None:
    _drop()
    op.drop_index("ix_entities_name_trgm", table_name="entities")
    # The extension stays: other schemas of the database may use it.


def _oracle_upgrade() -> None:
    _create(oracle.RAW(16), resumable=True)


def _oracle_downgrade() -> None:
    _drop(resumable=True)


def upgrade() -> None:
    run_for_dialect(pg=_pg_upgrade, oracle=_oracle_upgrade)


def downgrade() -> None:
    run_for_dialect(pg=_pg_downgrade, oracle=_oracle_downgrade)
