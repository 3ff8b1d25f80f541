"""The graph workload: the combined recall on a bank with hub entities
(`BankSpec(hubs=GRAPH_HUBS)`: each hub mentioned by ~15% of the units), with the graph
arm's default per-entity fan-out cap (`graph`) and with it lifted (`graph_uncapped`,
`GraphQuery(entity_fanout=UNCAPPED_FANOUT)`); the variants are the combined recall's.

`explain_graph_arm` runs the recall's first round trip for the first `GRAPH_QUERIES`
queries and EXPLAIN ANALYZEs the graph statement (`recall.expand`) on their seeds: the
server's execution time, the rows each part returns, and how many mention rows the
entity part ranks (its window functions' input: every mention of every seed entity, the
work the cap does not bound); the graph workload also runs it on the bank without hubs.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any

import asyncpg

from repo.backends.postgres import DIALECT, init_connection
from repo.bench.bank import session_settings
from repo.bench.data import BankSpec, Query
from repo.bench.plans import load_json, walk
from repo.bench.variant_api import Target, recall_flow
from repo.models import GraphQuery
from repo.sql import Statement
from repo.validation.scalars import MAX_LIMIT

#: Hub entities in the graph workload's bank.
GRAPH_HUBS = 3
#: The fan-out of `graph_uncapped`: the largest the API accepts (`MAX_LIMIT`).
UNCAPPED_FANOUT = MAX_LIMIT
#: The graph workloads and their `entity_fanout` (None: `GraphQuery`'s default).
GRAPH_WORKLOADS: dict[str, int | None] = {"graph": None, "graph_uncapped": UNCAPPED_FANOUT}
#: Queries whose graph statement is EXPLAIN ANALYZEd (the median server time in the JSON).
GRAPH_QUERIES = 10


def graph_spec(spec: BankSpec) -> BankSpec:
    """The graph workload's bank: `spec` with hub entities."""
    return BankSpec(spec.items, seed=spec.seed, corpus=spec.corpus, hubs=GRAPH_HUBS)


def fanout_of(workload: str) -> int:
    """The per-entity cap a graph workload runs with."""
    fanout = GRAPH_WORKLOADS[workload]
    return GraphQuery().entity_fanout if fanout is None else fanout


async def explain_graph_arm(dsn: str, target: Target, queries: Sequence[Query]) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, FORMAT JSON) of the graph statement for each query's seeds (after
    one execution each): the median server time, and the mean rows per graph part."""
    conn = await asyncpg.connect(dsn, server_settings=session_settings(target.schema))
    times: list[float] = []
    ranked: list[int] = []
    parts: Counter[str] = Counter()
    name = ""
    try:
        await init_connection(conn)

        async def fetch(stmt: Statement, params: Any) -> list[Any]:
            nonlocal name
            c = stmt.compiled(DIALECT)
            args = c.args(params)
            rows: list[Any] = await conn.fetch(c.sql, *args)
            if stmt.name.startswith("recall.expand"):
                name = stmt.name
                raw = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {c.sql}", *args)
                plan = load_json(raw)[0]
                times.append(float(plan["Execution Time"]))
                ranked.append(_window_input(plan["Plan"]))
                parts.update(r["arm"] for r in rows)
            return rows

        for q in queries:
            await recall_flow(fetch, target, q)
    finally:
        await conn.close()
    n = max(len(times), 1)
    return {
        "statement": name,
        "entity_fanout": target.shape.entity_fanout or GraphQuery().entity_fanout,
        "queries": len(times),
        "execution_ms_median": statistics.median(times) if times else None,
        "rows_mean": {arm: count / n for arm, count in sorted(parts.items())},
        "mentions_ranked_median": statistics.median(ranked) if ranked else None,
    }


def _window_input(plan: dict[str, Any]) -> int:
    """Rows the entity part's window functions read (the largest `WindowAgg`'s output)."""
    rows = [
        int(n.get("Actual Rows", 0)) * int(n.get("Actual Loops", 1))
        for n in walk(plan)
        if n.get("Node Type") == "WindowAgg"
    ]
    return max(rows, default=0)


async def hub_mentions(dsn: str, schema: str, bank_id: str, names: Sequence[str]) -> dict[str, int]:
    """How many units mention each hub entity."""
    conn = await asyncpg.connect(dsn, server_settings=session_settings(schema))
    try:
        rows = await conn.fetch(
            "SELECT e.name, count(*) AS n FROM entities e JOIN unit_entities ue"
            " ON ue.bank_id = e.bank_id AND ue.entity_id = e.id"
            " WHERE e.bank_id = $1 AND e.name = ANY($2::text[]) GROUP BY e.name",
            bank_id,
            list(names),
        )
    finally:
        await conn.close()
    return {r["name"]: int(r["n"]) for r in rows}
