"""The temporal workload's arm alone: `recall.temporal` over the benchmark's window
(`repo.bench.filters.TEMPORAL_WINDOW`, ~5% of the units), ranked by closeness, with
spreading over temporal links.

- `memrepo`: `store.recall.temporal(bank, start, end, k=k, spread=k)`;
- `raw_asyncpg`: the same compiled statement on a bare asyncpg pool.

`explain_temporal_arm` reports which indexes the arm's window scan reads (and whether it
scans `memory_units` instead), with the server's execution time.
"""

from __future__ import annotations

import json
import statistics
from typing import Any

import asyncpg

from repo.backends.postgres import DIALECT, init_connection
from repo.bench.bank import session_settings
from repo.bench.data import Query
from repo.bench.plans import members, walk
from repo.bench.variant_api import (
    CANDIDATE_COLUMNS,
    RawPoolVariant,
    RecallVariant,
    StoreVariant,
    Target,
    read_all,
)
from repo.repositories.recall.temporal import TEMPORAL, bind_temporal
from repo.sql import Statement

#: EXPLAIN ANALYZE runs of the arm alone (the median server time goes in the JSON).
EXPLAIN_RUNS = 5


def arm_statement(target: Target) -> tuple[Statement, dict[str, Any]]:
    """The arm's statement and bind values for the target's window."""
    query = target.shape.temporal_query
    assert query is not None, "the temporal workload's shape has a window"
    shape, params = bind_temporal("temporal", query, has_embedding=False)
    return TEMPORAL.shape(shape=shape), params | {"bank_id": target.bank_id}


class MemrepoTemporalArm(StoreVariant, RecallVariant):
    name = "memrepo"
    description = "store.recall.temporal() over the window"

    async def recall(self, q: Query) -> int:
        assert self.store is not None
        query = self.target.shape.temporal_query
        assert query is not None
        rows = await self.store.recall.temporal(
            self.target.bank_id, query.start, query.end, k=query.k, spread=query.spread
        )
        return read_all(rows, CANDIDATE_COLUMNS)

    async def semantic_ids(self, q: Query) -> dict[str, list[Any]]:
        return {}  # no semantic arm: no recall@k


class RawTemporalArm(RawPoolVariant, RecallVariant):
    name = "raw_asyncpg"
    description = "the same compiled statement on a bare asyncpg pool"

    async def recall(self, q: Query) -> int:
        stmt, params = arm_statement(self.target)
        return read_all(await self.fetch(stmt, params), CANDIDATE_COLUMNS)

    async def semantic_ids(self, q: Query) -> dict[str, list[Any]]:
        return {}


TEMPORAL_ARM_VARIANTS: tuple[type[RecallVariant], ...] = (MemrepoTemporalArm, RawTemporalArm)
TEMPORAL_ARM_VARIANT_NAMES = tuple(v.name for v in TEMPORAL_ARM_VARIANTS)


def _temporal_part(plan: dict[str, Any]) -> dict[str, Any]:
    """The temporal arm's subtrees: in the combined recall's `UNION ALL`, the branches
    whose plan names the window's CTE (the CTE itself, the hits, the spread); the arm
    alone: the whole plan."""
    root: dict[str, Any] = plan["Plan"]
    parts = [b for b in members(root) if "t_entry" in json.dumps(b)]
    return {"Plans": parts} if len(parts) > 1 else root


def window_scan(plan: dict[str, Any]) -> dict[str, Any]:
    """The window's scan in a plan holding the temporal arm (alone or in the combined
    recall's UNION ALL): the indexes whose condition is a unit time, whether they are
    combined in a `BitmapOr`, and whether the arm scans `memory_units` sequentially."""
    nodes = walk(_temporal_part(plan))
    times = ("event_date", "mentioned_at", "tstzrange")
    indexes = sorted(
        {
            str(n["Index Name"])
            for n in nodes
            if "Index Name" in n and any(t in str(n.get("Index Cond", "")) for t in times)
        }
    )
    seq = any(
        n.get("Node Type") == "Seq Scan" and n.get("Relation Name") == "memory_units" for n in nodes
    )
    return {
        "window_indexes": indexes,
        "bitmap_or": any(n.get("Node Type") == "BitmapOr" for n in nodes),
        "seq_scan_memory_units": seq,
    }


async def explain_temporal_arm(dsn: str, target: Target) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, FORMAT JSON) of the arm alone, after one warm-up execution: the
    window's indexes, and the server's execution time (ms, median of `EXPLAIN_RUNS`)."""
    stmt, params = arm_statement(target)
    c = stmt.compiled(DIALECT)
    args = c.args(params)
    conn = await asyncpg.connect(dsn, server_settings=session_settings(target.schema))
    try:
        await init_connection(conn)
        await conn.fetch(c.sql, *args)
        plans = []
        for _ in range(EXPLAIN_RUNS):
            raw = await conn.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {c.sql}", *args)
            plans.append((json.loads(raw) if isinstance(raw, str) else raw)[0])
        hits = len(await conn.fetch(c.sql, *args))
    finally:
        await conn.close()
    return {
        "statement": stmt.name,
        "rows": hits,
        "execution_ms_median": statistics.median(float(p["Execution Time"]) for p in plans),
        **window_scan(plans[0]),
        "plan": plans[0],
    }
