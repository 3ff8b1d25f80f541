"""The exact fallback at scale: what the semantic arms cost when the index path runs short.

Three statements per fact type, on one connection, interleaved query by query:

- `exact`: the library's exact search (`recall.semantic_exact`): the filtered scan keeps
  each match's id and distance, and the unit columns are read for the k nearest only;
- `materialised`: the exact search it replaced, which materialised every column of every
  match before sorting;
- `seq_scan`: a plain sequential scan of the same filter that computes every match's
  distance and keeps nothing (`sum(distance)`, which no index can answer): the floor for
  any exact search.

Reported per statement: the median over queries of the time for the three arms, and the
ratio to `seq_scan` (median of the per-query ratios).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from typing import Any

import asyncpg
import sqlalchemy as sa

from repo.backends.postgres import DIALECT, init_connection
from repo.bench.bank import session_settings
from repo.bench.data import Query
from repo.repositories.recall.arms import SEMANTIC_EXACT
from repo.repositories.recall.arms import arm_label as _arm
from repo.repositories.visibility import UNIT_COLUMNS, visible
from repo.sql import Statement, cosine_distance
from repo.sql.constructs import exact_cosine_distance
from schema.tables import FACT_TYPES, memory_units

_u = memory_units.c
_BANK = sa.bindparam("bank_id", type_=_u.bank_id.type)
EXACT_BASELINE = "seq_scan"


def _filter(fact_type: str) -> list[sa.ColumnElement[bool]]:
    return [_u.bank_id == _BANK, _u.fact_type == sa.literal_column(f"'{fact_type}'"), visible()]


def _materialised(fact_type: str) -> Statement:
    candidates = (
        sa.select(*UNIT_COLUMNS, _u.embedding)
        .where(*_filter(fact_type))
        .cte("candidates")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    distance = cosine_distance(candidates.c.embedding, "embedding")
    stmt = (
        sa.select(
            *(candidates.c[c.name] for c in UNIT_COLUMNS),
            _arm(f"semantic:{fact_type}"),
            (sa.literal_column("1.0") - distance).label("score"),
        )
        .order_by(distance)
        .limit(sa.bindparam("k"))
    )
    return Statement(f"bench.exact_materialised.{fact_type}", stmt, register=False)


def _seq_scan(fact_type: str) -> Statement:
    distance = exact_cosine_distance(_u.embedding, "embedding")
    stmt = sa.select(sa.func.sum(distance)).where(*_filter(fact_type))
    return Statement(f"bench.exact_seq_scan.{fact_type}", stmt, register=False)


STATEMENTS: dict[str, dict[str, Statement]] = {
    "exact": {ft: SEMANTIC_EXACT.shape(fact_type=ft) for ft in FACT_TYPES},
    "materialised": {ft: _materialised(ft) for ft in FACT_TYPES},
    EXACT_BASELINE: {ft: _seq_scan(ft) for ft in FACT_TYPES},
}


async def run_exact(
    dsn: str, schema: str, bank_id: str, queries: Sequence[Query], *, k: int
) -> dict[str, Any]:
    """Time the three statements for every fact type of every query (see the module)."""
    conn = await asyncpg.connect(dsn, server_settings=session_settings(schema))
    try:
        await init_connection(conn)
        names = list(STATEMENTS)
        per_query: dict[str, list[float]] = {n: [] for n in names}
        for i, q in enumerate(queries):
            params = {"bank_id": bank_id, "embedding": q.embedding, "k": k}
            order = names[i % len(names) :] + names[: i % len(names)]
            for name in order:
                total = 0.0
                for ft in FACT_TYPES:
                    c = STATEMENTS[name][ft].compiled(DIALECT)
                    args = c.args(params)
                    t0 = time.perf_counter()
                    await conn.fetch(c.sql, *args)
                    total += time.perf_counter() - t0
                per_query[name].append(total)
    finally:
        await conn.close()
    base = per_query[EXACT_BASELINE]
    out: dict[str, Any] = {"k": k, "queries": len(queries), "arms": len(FACT_TYPES)}
    for name in names:
        ratios = [x / b for x, b in zip(per_query[name], base, strict=True) if b > 0]
        out[name] = {
            "median_s": statistics.median(per_query[name]),
            "min_s": min(per_query[name]),
            "max_s": max(per_query[name]),
            "ratio_vs_seq_scan": statistics.median(ratios) if ratios else None,
            "ratio_range": [min(ratios), max(ratios)] if ratios else None,
        }
    return out
