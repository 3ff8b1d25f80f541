"""A GIN index on `memory_units.tags`, so a selective tag filter reads its units from an
index instead of scanning the bank's rows.

PostgreSQL: `ix_memory_units_tags` (`USING gin (tags)`, the default `array_ops`, which
serves `@>`, `&&` and `<@`). A semantic or text arm under a tag filter combines it with a
bank btree in one bitmap scan (BitmapAnd) when the filter is selective; no extension is
needed (a `(bank_id, tags)` GIN would need `btree_gin`). The build locks writes to
`memory_units` while it runs; on a large table build it first with `CREATE INDEX
CONCURRENTLY` under the same name (docs/production.md): the upgrade skips an index that
exists (`IF NOT EXISTS`), so an interrupted upgrade resumes.

Oracle: no change. The tags are a JSON array filtered with `JSON_TABLE` / `JSON_EXISTS`
(repo/sql/filters.py); no index is added for them here.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 05:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from repo.migrations import run_for_dialect

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_memory_units_tags"


def _pg_upgrade() -> None:
    op.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON memory_units USING gin (tags)")


def _pg_downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")


def upgrade() -> None:
    run_for_dialect(pg=_pg_upgrade, oracle=None)


def downgrade() -> None:
    run_for_dialect(pg=_pg_downgrade, oracle=None)
