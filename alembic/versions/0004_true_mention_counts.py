"""True mention counts: earlier versions never decremented `entities.mention_count` and
left entities without units behind. Recount every entity from `unit_entities` and delete
the entities no unit mentions. Data only (no schema change); both dialects run the same
portable SQL, and a rerun is harmless (both statements are idempotent).

The downgrade changes nothing: the true counts are valid for every revision.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 01:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from repo.migrations import run_for_dialect

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECOUNT = (
    "UPDATE entities SET mention_count = (SELECT COUNT(*) FROM unit_entities m"
    " WHERE m.bank_id = entities.bank_id AND m.entity_id = entities.id)"
)
PRUNE = (
    "DELETE FROM entities WHERE NOT EXISTS (SELECT 1 FROM unit_entities m"
    " WHERE m.bank_id = entities.bank_id AND m.entity_id = entities.id)"
)


def _upgrade() -> None:
    op.execute(RECOUNT)
    op.execute(PRUNE)


def upgrade() -> None:
    run_for_dialect(pg=_upgrade, oracle=_upgrade)


def downgrade() -> None:
    run_for_dialect(pg=None, oracle=None)
