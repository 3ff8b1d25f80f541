"""A btree on each unit's tag count, so a tag filter that includes untagged units can
read them from an index.

A filter with `untagged="include"` is `(COALESCE(cardinality(tags), 0) = 0) OR (tag
condition)` (repo/sql/filters.py): a unit without tags is one whose `tags` is NULL or an
empty array. The tags GIN index (`ix_memory_units_tags`, revision 0011) serves the tag
condition but not "no tags" (GIN does not index `IS NULL`), so the OR could not be read
from any index and a selective filter scanned the fact type's rows.

PostgreSQL: `ix_memory_units_tag_count` on `(bank_id, fact_type, COALESCE(cardinality(tags),
0))`: the untagged branch is an index condition (`= 0`) on it, the other branch on the GIN
index, one BitmapOr; ANALYZE gathers statistics on the indexed expression, so the planner
estimates the share of untagged units from the data instead of a default. The SQL of the
filters does not change. The build locks writes to `memory_units` while it runs; on a
large table build it first with `CREATE INDEX CONCURRENTLY` under the same name
(docs/production.md): the upgrade skips an index that exists (`IF NOT EXISTS`).

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

INDEX = "ix_memory_units_tag_count"


def _pg_upgrade() -> None:
    op.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON memory_units"
        " (bank_id, fact_type, (COALESCE(cardinality(tags), 0)))"
    )


def _pg_downgrade() -> None:
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")


def upgrade() -> None:
    run_for_dialect(pg=_pg_upgrade, oracle=None)


def downgrade() -> None:
    run_for_dialect(pg=_pg_downgrade, oracle=None)
