"""A partial index of the untagged units, so a tag filter that includes them reads them
from an index.

A filter with `untagged="include"` is `(COALESCE(cardinality(tags), 0) = 0) OR (tag
condition)` (repo/sql/filters.py): a unit without tags is one whose `tags` is NULL or an
empty array. The tags GIN index (`ix_memory_units_tags`, revision 0011) serves the tag
condition but not "no tags" (GIN has no `IS NULL` search), so the OR could not be read
from any index and a selective filter scanned the fact type's rows.

PostgreSQL: `ix_memory_units_untagged` on `(bank_id, fact_type) WHERE
COALESCE(cardinality(tags), 0) = 0`: the untagged branch implies its predicate, so the OR
is one BitmapOr of it and the GIN index; no other filter implies the predicate, so the
planner uses it for nothing else (a full btree with the tag count in its key was ANDed into
selective tag filters' bitmaps as a bank btree, by PostgreSQL 18's skip scan even with the
count first). It holds the untagged units only. The statistics object
`st_memory_units_tag_count` (`CREATE STATISTICS ... ON (COALESCE(cardinality(tags), 0))`)
gives ANALYZE's statistics of the expression, so the planner estimates the share of
untagged units from the data instead of a default. The SQL of the filters does not change.
The build locks writes to `memory_units` while it runs; on a large table build the index
first with `CREATE INDEX CONCURRENTLY` under the same name (docs/production.md): the
upgrade skips an index or statistics object that exists (`IF NOT EXISTS`).

Oracle: no change (the tags are a JSON array filtered with `JSON_EXISTS`).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 06:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from repo.migrations import run_for_dialect

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_memory_units_untagged"
STATISTICS = "st_memory_units_tag_count"
UNTAGGED = "COALESCE(cardinality(tags), 0)"


def _pg_upgrade() -> None:
    op.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON memory_units (bank_id, fact_type)"
        f" WHERE {UNTAGGED} = 0"
    )
    op.execute(f"CREATE STATISTICS IF NOT EXISTS {STATISTICS} ON ({UNTAGGED}) FROM memory_units")


def _pg_downgrade() -> None:
    op.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")


def upgrade() -> None:
    run_for_dialect(pg=_pg_upgrade, oracle=None)


def downgrade() -> None:
    run_for_dialect(pg=_pg_downgrade, oracle=None)
