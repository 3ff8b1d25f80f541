"""The recall workload: variants interleaved in small batches, at a fixed concurrency.

Round r runs a batch of `batch` recalls for every variant, in an order rotated by r
(A B C, B C A, C A B, ...), so machine noise (other tenants, CPU frequency, autovacuum)
falls on every variant alike. Within a batch, `concurrency` workers share the batch's
queries; each recall's latency is timed from the call to the last column read. All
variants replay the same queries; a warm-up (other queries) precedes the measurement.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import json
import pstats
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from repo.backends.postgres import DIALECT, init_connection
from repo.bench.bank import TEXT_INDEX, session_settings
from repo.bench.data import Query
from repo.bench.plans import arm_indexes, exact_runs, load_json, scans
from repo.bench.progress import Progress, optional_import
from repo.bench.variant_api import (
    RECALL_STATEMENTS,
    RecallVariant,
    Target,
    recall_flow,
)
from repo.repositories.recall.arms import FULLTEXT
from repo.sql import Statement


def current_rss() -> int | None:
    psutil, _ = optional_import("psutil")
    if psutil is None:
        return None
    return int(psutil.Process().memory_info().rss)


@dataclass
class RecallRun:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    #: Column values read per query index (the same for every variant when all agree).
    reads: dict[str, dict[int, int]] = field(default_factory=dict)
    busy_s: dict[str, float] = field(default_factory=dict)
    #: This process's CPU time during the measured batches (the client side of recalls:
    #: driver decoding, library code, row reads), far less noisy than latency.
    cpu_s: dict[str, float] = field(default_factory=dict)
    #: Mean latency of each measured batch (round index -> seconds), for paired ratios.
    batch_means: dict[str, dict[int, float]] = field(default_factory=dict)
    rss_peak: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    def throughput(self, name: str) -> float:
        busy = self.busy_s.get(name, 0.0)
        return len(self.latencies.get(name, [])) / busy if busy else 0.0

    def cpu_per_recall(self, name: str) -> float | None:
        n = len(self.latencies.get(name, []))
        return self.cpu_s[name] / n if n and name in self.cpu_s else None

    def round_ratios(self, name: str, baseline: str) -> list[float]:
        """Per round: this variant's batch mean / the baseline's batch mean in that round."""
        mine, base = self.batch_means.get(name, {}), self.batch_means.get(baseline, {})
        return [mine[r] / base[r] for r in sorted(mine) if r in base and base[r] > 0]

    def paired_ratio(self, name: str, baseline: str) -> float | None:
        """Median over rounds of (this variant's batch mean / the baseline's batch mean in
        the same round): robust to noise that drifts between rounds."""
        ratios = self.round_ratios(name, baseline)
        return statistics.median(ratios) if ratios else None

    def mismatches(self, reference: str) -> dict[str, int]:
        """Per variant, how many queries read a different number of columns than `reference`."""
        ref = self.reads.get(reference, {})
        out: dict[str, int] = {}
        for name, reads in self.reads.items():
            out[name] = sum(1 for i, n in reads.items() if i in ref and ref[i] != n)
        return out


async def run_batch(
    variant: RecallVariant,
    queries: Sequence[Query],
    indices: Sequence[int],
    concurrency: int,
    on_done: Callable[[int, float, int], None],
) -> float:
    """Run the recalls of `indices` with `concurrency` workers; return the wall time."""
    pending = iter(indices)

    async def worker() -> None:
        for i in pending:
            t0 = time.perf_counter()
            n = await variant.recall(queries[i])
            on_done(i, time.perf_counter() - t0, n)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - t0


async def run_recall(
    variants: Sequence[RecallVariant],
    queries: Sequence[Query],
    *,
    recalls: int,
    warmup: int,
    batch: int,
    concurrency: int,
    progress: bool = True,
) -> RecallRun:
    """Warm up, then measure `recalls` recalls per variant, interleaved by batch.

    `queries` holds at least `recalls + warmup` queries: the first `recalls` are measured,
    the rest warm up.
    """
    run = RecallRun()
    active = list(variants)
    for v in active:
        run.latencies[v.name] = []
        run.reads[v.name] = {}
    warm = list(range(recalls, recalls + warmup))
    measured = list(range(recalls))
    total = (len(warm) + len(measured)) * len(active)
    with Progress(total, "recall", enabled=progress, unit="recall") as bar:
        for phase, indices in (("warm-up", warm), ("measure", measured)):
            batches = [indices[i : i + batch] for i in range(0, len(indices), batch)]
            for r, chunk in enumerate(batches):
                order = active[r % len(active) :] + active[: r % len(active)] if active else []
                for v in order:
                    if v.name in run.failed:
                        continue

                    def done(
                        i: int, lat: float, n: int, v: RecallVariant = v, phase: str = phase
                    ) -> None:
                        bar.update()
                        if phase == "measure":
                            run.latencies[v.name].append(lat)
                            run.reads[v.name][i] = n

                    first = len(run.latencies[v.name])
                    cpu0 = time.process_time()
                    try:
                        wall = await run_batch(v, queries, chunk, concurrency, done)
                    except Exception as exc:
                        run.failed[v.name] = f"{type(exc).__name__}: {exc}"
                        continue
                    if phase == "measure":
                        cpu = time.process_time() - cpu0
                        run.cpu_s[v.name] = run.cpu_s.get(v.name, 0.0) + cpu
                        run.busy_s[v.name] = run.busy_s.get(v.name, 0.0) + wall
                        lats = run.latencies[v.name][first:]
                        run.batch_means.setdefault(v.name, {})[r] = statistics.fmean(lats)
                        rss = current_rss()
                        if rss is not None:
                            run.rss_peak[v.name] = max(run.rss_peak.get(v.name, 0), rss)
                bar.set_postfix(f"{phase} {r + 1}/{len(batches)}")
    return run


async def profile_variant(
    variant: RecallVariant, queries: Sequence[Query], n: int, concurrency: int, top: int = 25
) -> str:
    """cProfile `n` recalls of one variant (after the measurement); the top functions by
    cumulative time, then by own time."""
    prof = cProfile.Profile()
    indices = [i % len(queries) for i in range(n)]
    prof.enable()
    await run_batch(variant, queries, indices, concurrency, lambda i, lat, c: None)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    out.write("\n-- by own time --\n")
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


# --------------------------------------------------------------------------- EXPLAIN


async def explain_recall(dsn: str, target: Target, query: Query) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) of each recall statement for `query`, with
    the same session settings and codecs as the variants.

    `plan` is the plan for these values (what the first executions of a prepared statement
    get); `steady_plan` is the plan of a prepared statement after six executions, when
    PostgreSQL may have switched to its generic plan: what the benchmark mostly runs.
    """
    conn = await asyncpg.connect(dsn, server_settings=session_settings(target.schema))
    try:
        await init_connection(conn)
        captured: dict[str, dict[str, Any]] = {}

        async def fetch(stmt: Statement, params: Any) -> list[Any]:
            c = stmt.compiled(DIALECT)
            args = c.args(params)
            options = "ANALYZE, BUFFERS, FORMAT JSON"
            plan = load_json(await conn.fetchval(f"EXPLAIN ({options}) {c.sql}", *args))[0]
            entry: dict[str, Any] = {"sql": c.sql, "plan": plan, "scans": scans(plan)}
            name = f"bench_{len(captured)}"
            literals = ", ".join(sql_literal(a) for a in args)
            await conn.execute(f"PREPARE {name} AS {c.sql}")
            try:
                for _ in range(6):
                    await conn.execute(f"EXECUTE {name}({literals})")
                raw = await conn.fetchval(f"EXPLAIN ({options}) EXECUTE {name}({literals})")
            finally:
                await conn.execute(f"DEALLOCATE {name}")
            steady = load_json(raw)[0]
            entry["steady_plan"] = steady
            entry["steady_scans"] = scans(steady)
            role = _role(stmt.name)
            entry["statement"] = stmt.name
            if role == "recall.arms":
                entry["arm_indexes"] = arm_indexes(plan)
                entry["steady_arm_indexes"] = arm_indexes(steady)
                entry["exact_ran"] = exact_runs(plan)
                entry["steady_exact_ran"] = exact_runs(steady)
            captured[role] = entry
            return await conn.fetch(c.sql, *args)  # type: ignore[no-any-return]

        await recall_flow(fetch, target, query)
        out = {n: captured.pop(n) for n in RECALL_STATEMENTS if n in captured}
        return {**out, **captured}  # + exact searches, when an index path ran short
    finally:
        await conn.close()


def _role(name: str) -> str:
    """A recall statement's place in the flow (`recall.arms`, `recall.expand`,
    `recall.unit_entities`) whatever its filter shape; other statements by name."""
    for role in RECALL_STATEMENTS:
        if name == role or name.startswith((role + "[", role + "_where", role + "_temporal")):
            return role
    return name


async def explain_text_arm(dsn: str, target: Target, queries: Sequence[Query]) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, FORMAT JSON) of the text arm alone (`recall.fulltext` at the
    shape's k) for each query, after one warm-up execution of each: the server's execution
    time per query (ms: median, min, max), the planning time, and the first plan's scans."""
    conn = await asyncpg.connect(dsn, server_settings=session_settings(target.schema))
    try:
        await init_connection(conn)
        c = FULLTEXT.compiled(DIALECT)
        executions, planning, first = [], [], None
        shape = target.shape
        runs = [
            c.args({"bank_id": target.bank_id, "query": q.text, "k": shape.k_text}) for q in queries
        ]
        for args in runs:  # one warm-up execution each: the steady state the benchmark measures
            await conn.fetch(c.sql, *args)
        for args in runs:
            raw = await conn.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {c.sql}", *args)
            plan = load_json(raw)[0]
            first = first or plan
            executions.append(float(plan["Execution Time"]))
            planning.append(float(plan["Planning Time"]))
        return {
            "statement": FULLTEXT.name,
            "queries": len(executions),
            "execution_ms_median": statistics.median(executions) if executions else None,
            "execution_ms_min": min(executions, default=None),
            "execution_ms_max": max(executions, default=None),
            "planning_ms_median": statistics.median(planning) if planning else None,
            "scans": scans(first) if first else [],
            "uses_text_index": first is not None and TEXT_INDEX in json.dumps(first),
        }
    finally:
        await conn.close()


def sql_literal(value: Any) -> str:
    """A literal for the recall statements' parameter values (text, ints, datetimes,
    floats as a vector, UUIDs or strings as an array); the prepared statement's parameter
    types coerce it."""
    if isinstance(value, bool) or value is None:
        raise TypeError(f"no literal for {value!r}")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, datetime):
        return f"'{value.isoformat()}'"
    items = list(value)
    if items and all(isinstance(x, str) for x in items):  # text[] (tags, document ids)
        quoted = ",".join('"' + x.replace("\\", "\\\\").replace('"', '\\"') + '"' for x in items)
        return "'{" + quoted.replace("'", "''") + "}'"
    if all(isinstance(x, float) for x in items):
        return "'[" + ",".join(repr(x) for x in items) + "]'"
    return "'{" + ",".join(str(x) for x in items) + "}'"
