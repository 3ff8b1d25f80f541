"""Denser HNSW graphs: the per-fact-type vector indexes rebuilt with `m = 24,
ef_construction = 128` (they had pgvector's defaults, `m = 16, ef_construction = 64`).

Measured with `python -m repo.bench.ann` on real sentences (docs/recall.md): at 100,000
units the old graphs left the worst of 600 searches at recall@10 0.6-0.7 even with
`ef_search` 400; the denser graphs reach a worst of 0.8 at the default `ef_search` of 200,
at about the same search latency, for twice the build time.

PostgreSQL: for each fact type, `ix_memory_units_embedding_hnsw_<type>_rebuilt` is built
next to the old index (reads go on using the old one; the build blocks writes), then,
once every new index exists, the old ones are dropped and the new ones take their names.
All in the migration's transaction: an interrupted upgrade leaves the old indexes. An
index that already has the new options is kept. To keep writes going on a large table,
build the `_rebuilt` indexes first with `CREATE INDEX CONCURRENTLY` (docs/production.md):
the upgrade uses them.

Oracle: no change (the one vector index of the column is an IVF index with a target
accuracy; the HNSW build options are pgvector's).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 06:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from repo.migrations import run_for_dialect

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACT_TYPES = ("world", "experience", "observation")
PREFIX = "ix_memory_units_embedding_hnsw"
DENSE = {"m": 24, "ef_construction": 128}
SPARSE = {"m": 16, "ef_construction": 64}


def _options(index: str) -> dict[str, int] | None:
    """The build options of `index` in the migrating schema (None: no such index, or no
    database to ask: an offline `--sql` run rebuilds every index)."""
    if op.get_context().as_sql:
        return None
    query = sa.text("SELECT reloptions FROM pg_class WHERE oid = to_regclass(:name)")
    row = op.get_bind().execute(query, {"name": index}).first()
    if row is None:
        return None
    pairs = (option.split("=", 1) for option in row[0] or ())
    return {key: int(value) for key, value in pairs}


def _rebuild(options: dict[str, int]) -> None:
    """Every fact type's HNSW index with `options`: new indexes first, swaps at the end."""
    with_ = ", ".join(f"{key} = {value}" for key, value in options.items())
    stale = [ft for ft in FACT_TYPES if _options(f"{PREFIX}_{ft}") != options]
    for ft in stale:
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {PREFIX}_{ft}_rebuilt ON memory_units"
            f" USING hnsw (embedding vector_cosine_ops) WITH ({with_})"
            f" WHERE fact_type = '{ft}'"
        )
    for ft in stale:
        op.execute(f"DROP INDEX IF EXISTS {PREFIX}_{ft}")
        op.execute(f"ALTER INDEX {PREFIX}_{ft}_rebuilt RENAME TO {PREFIX}_{ft}")


def upgrade() -> None:
    run_for_dialect(pg=lambda: _rebuild(DENSE), oracle=None)


def downgrade() -> None:
    run_for_dialect(pg=lambda: _rebuild(SPARSE), oracle=None)
