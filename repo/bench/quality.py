"""recall@k: how many of the true k nearest units of each fact type a variant returned.

The truth is the library's exact search (`recall.semantic_exact`: every match of the
fact type, and of the workload's filter, sorted by distance), run once per query on a
connection of its own.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from repo.backends.postgres import DIALECT, init_connection
from repo.bench.bank import session_settings
from repo.bench.data import Query
from repo.models import RecallFilter
from repo.repositories.recall import SEMANTIC_EXACT
from repo.repositories.recall.arms import with_where
from repo.repositories.recall.filters import bind_filter
from schema.tables import FACT_TYPES

#: Per query index: fact type -> ids, nearest first.
Neighbours = dict[int, dict[str, list[str]]]


async def true_neighbours(
    dsn: str,
    schema: str,
    bank_id: str,
    queries: Sequence[Query],
    k: int,
    where: RecallFilter | None = None,
) -> Neighbours:
    """The exact k nearest units of each fact type that pass `where`, per query."""
    shape, filter_params = bind_filter(where)
    conn = await asyncpg.connect(dsn, server_settings=session_settings(schema))
    try:
        await init_connection(conn)
        out: Neighbours = {}
        for q in queries:
            params = {"bank_id": bank_id, "embedding": q.embedding, "k": k, **filter_params}
            out[q.index] = {}
            for ft in FACT_TYPES:
                flags = with_where({"fact_type": ft}, shape.for_semantic())
                c = SEMANTIC_EXACT.shape(**flags).compiled(DIALECT)
                rows = await conn.fetch(c.sql, *c.args(params))
                out[q.index][ft] = [str(r["id"]) for r in rows]
        return out
    finally:
        await conn.close()


def recall_at_k(
    got: Mapping[str, Sequence[Any]], truth: Mapping[str, Sequence[str]], k: int
) -> float:
    """Mean over the fact types of |returned top k & true top k| / |true top k|."""
    scores = []
    for ft, expected in truth.items():
        want = set(expected[:k])
        if want:
            have = {str(x) for x in list(got.get(ft, []))[:k]}
            scores.append(len(have & want) / len(want))
    return statistics.fmean(scores) if scores else 1.0
