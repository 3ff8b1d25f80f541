"""The measured phases of a benchmark run: the run's metadata, the recall and vector
workloads at one k (EXPLAIN, interleaved measurement, recall@k), and the retain workload;
each fills the result document."""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import os
import platform
import resource
import shlex
import statistics
import sys
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any

import asyncpg

from repo.bench.bank import BenchServer, LoadInfo
from repo.bench.config import QUALITY_QUERIES, Config
from repo.bench.data import GENERATOR_VERSION, BankSpec, Query, SyntheticBank
from repo.bench.filters import UNFILTERED, selectivity, workload_key
from repo.bench.graph import GRAPH_QUERIES, GRAPH_WORKLOADS, explain_graph_arm
from repo.bench.plans import index_findings
from repo.bench.quality import recall_at_k, true_neighbours
from repo.bench.recall import (
    RecallRun,
    explain_recall,
    explain_text_arm,
    profile_variant,
    run_recall,
)
from repo.bench.report import percentile, summarize
from repo.bench.retain import RETAIN_VARIANTS, RetainRun, run_retain
from repo.bench.temporal import TEMPORAL_ARM_VARIANTS, explain_temporal_arm, window_scan
from repo.bench.variant_api import RecallShape, RecallVariant, Target, missing_reason
from repo.bench.variants import BASELINE, VARIANTS
from repo.bench.vectors import VECTOR_BASELINE, VECTOR_VARIANTS
from repo.models import RecallFilter

#: Queries whose text arm is EXPLAIN ANALYZEd alone (the server time in the JSON meta).
TEXT_ARM_QUERIES = 20

LIBRARIES = (
    "asyncpg",
    "sqlalchemy",
    "databases",
    "sqlspec",
    "langchain-postgres",
    "numpy",
    "pgvector",
    "tqdm",
    "matplotlib",
    "psutil",
)


def peak_rss_bytes() -> int:
    """This process's peak resident set size (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


async def server_info(dsn: str) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        return {
            "server_version": await conn.fetchval("SHOW server_version"),
            "pgvector": await conn.fetchval(
                "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
            ),
            "shared_buffers": await conn.fetchval("SHOW shared_buffers"),
        }
    finally:
        await conn.close()


def run_meta(
    cfg: Config, spec: BankSpec, info: LoadInfo, server: BenchServer, argv: Sequence[str]
) -> dict[str, Any]:
    return {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join(["python", "-m", "repo", "bench", *argv]),
        "config": asdict(cfg),
        "bank": {
            "spec": asdict(spec),
            "topics": spec.topics,
            "vocab": spec.vocab,
            "entities": spec.entities,
            "observations": spec.observations,
            "generator_version": GENERATOR_VERSION,
            **asdict(info),
        },
        "server": {"kind": server.kind},
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "libraries": {d: _version(d) for d in LIBRARIES},
        "missing": {},
        "failed": {},
    }


async def _open_variants(
    cfg: Config,
    target: Target,
    meta: dict[str, Any],
    classes: Sequence[type[RecallVariant]] = VARIANTS,
) -> list[RecallVariant]:
    """The selected variants, opened; the others are recorded as missing or failed."""
    variants: list[RecallVariant] = []
    for cls in classes:
        if cls.name not in cfg.variants:
            continue
        why = missing_reason(cls)
        if why:
            meta["missing"][cls.name] = why
            continue
        v = cls()
        try:
            await v.open(target)
        except Exception as exc:
            meta["failed"][cls.name] = f"open: {type(exc).__name__}: {exc}"
            with contextlib.suppress(Exception):
                await v.close()
            continue
        variants.append(v)
    return variants


def _quartiles(values: Sequence[float]) -> list[float] | None:
    if not values:
        return None
    v = sorted(values)
    return [percentile(v, 25), percentile(v, 75)]


async def _quality(
    variants: Sequence[RecallVariant],
    server: BenchServer,
    info: LoadInfo,
    queries: Sequence[Query],
    k: int,
    failed: dict[str, str],
    where: RecallFilter | None = None,
) -> dict[str, float | None]:
    """recall@k of each variant's semantic arms, over the first `QUALITY_QUERIES` queries,
    against the exact search under the same filter."""
    sample = list(queries[:QUALITY_QUERIES])
    truth = await true_neighbours(server.dsn, info.schema, info.bank_id, sample, k, where)
    out: dict[str, float | None] = {}
    for v in variants:
        if v.name in failed:
            continue
        try:
            scores = [recall_at_k(await v.semantic_ids(q), truth[q.index], k) for q in sample]
        except Exception as exc:
            failed[v.name] = f"recall@k: {type(exc).__name__}: {exc}"
            continue
        out[v.name] = statistics.fmean(scores)
    return out


async def recall_phase(
    args: argparse.Namespace,
    cfg: Config,
    server: BenchServer,
    info: LoadInfo,
    document: dict[str, Any],
    *,
    k: int,
    workload: str,
    where: str = UNFILTERED,
    plain: LoadInfo | None = None,
) -> RecallRun:
    """EXPLAIN, then the interleaved measurement of one workload at one k, then recall@k
    (and the profile, if asked). `where`: the combined recall's filter (`filtered`);
    `temporal`: the combined recall with the temporal arm; `temporal_arm`: the arm alone;
    `graph`, `graph_uncapped`: the combined recall on the hub bank (`info`), capped or not
    (`plain`: the bank without hubs, whose graph statement `graph` also explains)."""
    graph = workload in GRAPH_WORKLOADS
    combined = workload in ("recall", "filtered", "temporal") or graph
    arm_only = workload == "temporal_arm"
    key = workload_key(where) if workload in ("recall", "filtered") else workload
    meta: dict[str, Any] = {"missing": {}, "failed": {}, "filter": where}
    document["meta"]["shapes"].setdefault(key, {})[str(k)] = meta
    document.setdefault(key, {})
    shape = RecallShape.for_k(
        k,
        where,
        temporal=workload.startswith("temporal"),
        entity_fanout=GRAPH_WORKLOADS[workload] if graph else None,
    )
    target = Target(server.url, server.dsn, info.schema, info.bank_id, cfg.concurrency, shape)
    queries = SyntheticBank(cfg.spec()).queries(cfg.recalls + cfg.warmup)
    classes = VARIANTS if combined else TEMPORAL_ARM_VARIANTS if arm_only else VECTOR_VARIANTS
    baseline = BASELINE if combined or arm_only else VECTOR_BASELINE
    if where != UNFILTERED:
        meta["selectivity"] = await selectivity(server.url, info.schema, info.bank_id, where)
    variants = await _open_variants(cfg, target, meta, classes)
    failed: dict[str, str] = {}
    try:
        if combined:
            meta["explain"] = await explain_recall(server.dsn, target, queries[0])
            meta["explain_findings"] = index_findings(meta["explain"])
            meta["text_arm"] = await explain_text_arm(
                server.dsn, target, queries[:TEXT_ARM_QUERIES]
            )
            meta["statement_ms"] = {
                name: entry["plan"].get("Execution Time") for name, entry in meta["explain"].items()
            }
            if shape.temporal:
                arms = meta["explain"]["recall.arms"]
                meta["temporal_window_scan"] = window_scan(arms["plan"])
        if graph:
            meta["graph_arm"] = await explain_graph_arm(server.dsn, target, queries[:GRAPH_QUERIES])
            if plain is not None and workload == "graph":
                other = replace(target, schema=plain.schema, bank_id=plain.bank_id)
                meta["graph_arm_plain_bank"] = await explain_graph_arm(
                    server.dsn, other, queries[:GRAPH_QUERIES]
                )
        if arm_only:
            meta["temporal_arm"] = await explain_temporal_arm(server.dsn, target)
        run = await run_recall(
            variants,
            queries,
            recalls=cfg.recalls,
            warmup=cfg.warmup,
            batch=cfg.batch,
            concurrency=cfg.concurrency,
            progress=not args.no_progress,
        )
        failed.update(run.failed)
        meta["recall_at_k"] = (
            {}
            if arm_only
            else await _quality(variants, server, info, queries, k, failed, shape.filter)
        )
        if args.profile and workload == "recall" and k == cfg.ks[0]:
            mem = next((v for v in variants if v.name == "memrepo"), None)
            if mem is not None and "memrepo" not in failed:
                n = max(cfg.recalls // 2, 20)
                document["meta"]["profile"] = await profile_variant(
                    mem, queries, n, cfg.concurrency
                )
    finally:
        for v in variants:
            try:
                await v.close()
            except Exception as exc:  # a broken variant must not hide the results
                meta["failed"].setdefault(v.name, f"close: {type(exc).__name__}: {exc}")
    meta["failed"].update(failed)
    measured = [v.name for v in variants if v.name not in failed and run.latencies[v.name]]
    reads = run.reads.get("memrepo") or next(iter(run.reads.values()), {})
    meta["shape"] = {
        **asdict(shape),
        "column_reads_per_recall_mean": sum(reads.values()) / len(reads) if reads else None,
    }
    meta["baseline"] = baseline
    meta["throughput_per_s"] = {n: run.throughput(n) for n in measured}
    meta["client_cpu_s_per_recall"] = {n: run.cpu_per_recall(n) for n in measured}
    meta["paired_ratio_vs_baseline"] = {n: run.paired_ratio(n, baseline) for n in measured}
    meta["paired_ratio_per_round"] = {n: run.round_ratios(n, baseline) for n in measured}
    meta["paired_ratio_p25_p75"] = {
        n: _quartiles(meta["paired_ratio_per_round"][n]) for n in measured
    }
    meta["rounds"] = len(next(iter(run.batch_means.values()), {}))
    meta["rss_peak_bytes_by_variant"] = run.rss_peak
    if combined:
        meta["row_count_mismatches_vs_memrepo"] = run.mismatches("memrepo")
    meta["latencies_s"] = {n: [round(x, 6) for x in run.latencies[n]] for n in measured}
    results = document[key].setdefault(str(k), {})
    for name in measured:
        results[name] = {
            **summarize(run.latencies[name]).as_json(),
            "throughput_per_s": meta["throughput_per_s"][name],
            "client_cpu_s_per_recall": meta["client_cpu_s_per_recall"][name],
            "recall_at_k": meta["recall_at_k"].get(name),
        }
    return run


async def retain_phase(
    args: argparse.Namespace, cfg: Config, server: BenchServer, document: dict[str, Any]
) -> RetainRun:
    run = await run_retain(
        server,
        items=cfg.retain_items,
        seed=cfg.seed,
        reps=cfg.retain_reps,
        modes=("hnsw", "deferred") if args.retain_mode == "both" else (args.retain_mode,),
        progress=not args.no_progress,
    )
    for name in RETAIN_VARIANTS:
        document["retain"][name] = {
            "rows_per_s": run.rows_per_s("hnsw", name),
            "rows_per_s_deferred_index": run.rows_per_s("deferred", name),
        }
    meta = document["meta"]
    meta["retain"] = {
        "items": run.items,
        "links": run.links,
        "runs_s": run.seconds,
        "rate": "rows (units) per second, best of the runs",
        "deferred_index_build_s": run.index_build_s,
        "breakdown_s": run.breakdown,
    }
    if run.index_build_s and "deferred" in run.seconds:
        best = run.seconds["deferred"]
        meta["retain"]["rows_per_s_deferred_including_build"] = {
            n: run.items / (min(best[n]) + run.index_build_s) for n in best if best[n]
        }
    return run
