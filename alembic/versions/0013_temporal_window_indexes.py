"""Indexes for time windows on `memory_units`: the temporal arm's `OR` of its three times
(event date, occurred range, mention) and the filter's windows are each served by an
index, combined in one bitmap (BitmapOr), instead of a scan of the bank's rows.

Both dialects: `ix_memory_units_bank_mentioned` on `(bank_id, mentioned_at)`. The event
date keeps `ix_memory_units_bank_fact_date` (bank, fact type, date).

PostgreSQL: `ix_memory_units_occurred`, a partial GiST index (`WHERE occurred_start IS
NOT NULL`) on the unit's closed range `tstzrange(occurred_start, GREATEST(occurred_start,
COALESCE(occurred_end, occurred_start)), '[]')`, which the overlap with a window
(`&& tstzrange(:start, :end, '[)')`, repo/sql/time_range.py) reads; a B-tree on either end
cannot bound an overlap. No extension is needed (a `(bank_id, range)` GiST would need
`btree_gist`; the bank's condition is checked on the few rows the range finds). The
builds lock writes to `memory_units` while they run; on a large table build them first
with `CREATE INDEX CONCURRENTLY` under the same names (docs/production.md): the upgrade
skips an index that exists (`IF NOT EXISTS`), so an interrupted upgrade resumes.

Oracle: a B-tree on `(bank_id, occurred_start, occurred_end)` (the range's ends are
compared there), and the mention index; each created unless it exists (DDL commits
itself, so a rerun resumes).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 06:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from repo.migrations import run_for_dialect
from repo.oracle_ddl import guarded_drop_index, guarded_index

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MENTIONED = "ix_memory_units_bank_mentioned"
MENTIONED_COLUMNS = "(bank_id, mentioned_at)"
OCCURRED_RANGE = "ix_memory_units_occurred"
OCCURRED_BTREE = "ix_memory_units_bank_occurred"


def _pg_upgrade() -> None:
    op.execute(f"CREATE INDEX IF NOT EXISTS {MENTIONED} ON memory_units {MENTIONED_COLUMNS}")
    op.execute(
        f"CREATE INDEX IF NOT EXISTS {OCCURRED_RANGE} ON memory_units USING gist "
        "(tstzrange(occurred_start, greatest(occurred_start, "
        "coalesce(occurred_end, occurred_start)), '[]')) WHERE occurred_start IS NOT NULL"
    )


def _pg_downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {OCCURRED_RANGE}")
    op.execute(f"DROP INDEX IF EXISTS {MENTIONED}")


def _oracle_upgrade() -> None:
    op.execute(
        guarded_index(MENTIONED, f"CREATE INDEX {MENTIONED} ON memory_units {MENTIONED_COLUMNS}")
    )
    op.execute(
        guarded_index(
            OCCURRED_BTREE,
            f"CREATE INDEX {OCCURRED_BTREE} ON memory_units "
            "(bank_id, occurred_start, occurred_end)",
        )
    )


def _oracle_downgrade() -> None:
    op.execute(guarded_drop_index(OCCURRED_BTREE))
    op.execute(guarded_drop_index(MENTIONED))


def upgrade() -> None:
    run_for_dialect(pg=_pg_upgrade, oracle=_oracle_upgrade)


def downgrade() -> None:
    run_for_dialect(pg=_pg_downgrade, oracle=_oracle_downgrade)
