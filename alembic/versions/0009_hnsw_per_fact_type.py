"""One partial HNSW index per fact type instead of one HNSW index over every unit.

Every semantic arm searches one fact type (`fact_type = 'world'` is literal in its SQL), so
each plans onto its own graph: a graph of the arm's rows only, where the whole index
budget (`ef_search`) goes to rows the arm can return, instead of a shared graph whose
candidates are mostly other fact types (filtered out after the scan). A unit is inserted
into one graph, not a graph three times its size.

PostgreSQL: `ix_memory_units_embedding_hnsw_<fact type>` (`WHERE fact_type = '...'`, same
`m` and `ef_construction`), then the shared `ix_memory_units_embedding_hnsw` goes. The
builds lock writes to `memory_units` while they run; on a large table build them first
with `CREATE INDEX CONCURRENTLY` under the same names (docs/production.md): the upgrade
skips an index that exists (`IF NOT EXISTS`).

Oracle: no change. A vector index cannot be function-based (so not the `CASE WHEN` form
that stands in for a partial index) and a vector column takes one vector index (Oracle AI
Vector Search guide, "Guidelines for Using Vector Indexes"); `ixo_memory_units_embedding`
stays, and the arms filter its candidates by fact type.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 03:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from repo.migrations import run_for_dialect

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACT_TYPES = ("world", "experience", "observation")
SHARED = "ix_memory_units_embedding_hnsw"
HNSW = "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"


def _pg_upgrade() -> None:
    for fact_type in FACT_TYPES:
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {SHARED}_{fact_type} ON memory_units {HNSW}"
            f" WHERE fact_type = '{fact_type}'"
        )
    op.execute(f"DROP INDEX IF EXISTS {SHARED}")


def _pg_downgrade() -> None:
    op.execute(f"CREATE INDEX IF NOT EXISTS {SHARED} ON memory_units {HNSW}")
    for fact_type in FACT_TYPES:
        op.execute(f"DROP INDEX IF EXISTS {SHARED}_{fact_type}")


def upgrade() -> None:
    run_for_dialect(pg=_pg_upgrade, oracle=None)


def downgrade() -> None:
    run_for_dialect(pg=_pg_downgrade, oracle=None)
