"""`python -m repo bench`: recall latency and retain throughput, memrepo vs the alternatives.

Examples::

    python -m repo bench --quick                       # ~1 minute, for CI and checks
    python -m repo bench --json bench.json --plot bench.png --k 20,200
    python -m repo bench --preset 100k --skip-retain --compare bench.json
    python -m repo bench --url postgresql://u:p@host/db --items 10000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import os
import platform
import resource
import shlex
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from repo.bench.bank import BenchServer, LoadInfo, ensure_bank
from repo.bench.data import GENERATOR_VERSION, BankSpec, Query, SyntheticBank
from repo.bench.exact import run_exact
from repo.bench.quality import recall_at_k, true_neighbours
from repo.bench.recall import (
    RecallRun,
    explain_recall,
    index_findings,
    profile_variant,
    run_recall,
)
from repo.bench.report import (
    Stats,
    TargetCheck,
    breakdown_table,
    exact_targets,
    finite,
    percentile,
    plot,
    recall_table,
    recall_targets,
    retain_table,
    retain_targets,
    scaling_target,
    summarize,
    table,
    write_json,
)
from repo.bench.retain import RETAIN_BASELINE, RETAIN_VARIANTS, RetainRun, run_retain
from repo.bench.variants import (
    BASELINE,
    VARIANT_NAMES,
    VARIANTS,
    RecallShape,
    RecallVariant,
    Target,
    missing_reason,
)
from repo.bench.vectors import VECTOR_BASELINE, VECTOR_VARIANT_NAMES, VECTOR_VARIANTS

PRESETS = {"10k": 10_000, "33k": 33_000, "100k": 100_000, "300k": 300_000}
WORKLOADS = ("recall", "vector", "exact")
#: Queries whose semantic arms are checked against brute force (recall@k).
QUALITY_QUERIES = 20
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


@dataclass(frozen=True)
class Config:
    items: int
    seed: int
    recalls: int
    warmup: int
    batch: int
    concurrency: int
    retain_items: int
    retain_reps: int
    variants: tuple[str, ...]
    ks: tuple[int, ...] = (20,)
    workloads: tuple[str, ...] = WORKLOADS


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m repo bench",
        description="Recall latency and retain throughput: memrepo vs the raw driver and "
        "the libraries users would pick instead, in one run, as ratios.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("Examples::", 1)[1] if __doc__ else None,
    )
    p.add_argument("--items", type=int, default=None, help="units in the bank (default 10000)")
    p.add_argument(
        "--preset", choices=sorted(PRESETS), help="bank size preset: 10k, 33k, 100k, 300k"
    )
    p.add_argument(
        "--k",
        default="20",
        help="recall shapes: comma-separated k (default 20; 200 is the old, larger shape)",
    )
    p.add_argument(
        "--workloads",
        default=",".join(WORKLOADS),
        help="recall (combined recall), vector (three semantic searches, with "
        "langchain-postgres), exact (the exact fallback); default all",
    )
    p.add_argument("--seed", type=int, default=42, help="data seed (default 42)")
    p.add_argument("--recalls", type=int, default=None, help="measured recalls per variant (200)")
    p.add_argument("--warmup", type=int, default=None, help="warm-up recalls per variant (20)")
    p.add_argument("--batch", type=int, default=None, help="recalls per interleaved batch (20)")
    p.add_argument("--concurrency", type=int, default=4, help="recalls in flight (default 4)")
    p.add_argument("--retain-items", type=int, default=None, help="units per retain run (10000)")
    p.add_argument("--retain-reps", type=int, default=None, help="runs per retain variant (2)")
    p.add_argument(
        "--variants",
        default=",".join(dict.fromkeys((*VARIANT_NAMES, *VECTOR_VARIANT_NAMES))),
        help="comma-separated variants (default: all of "
        f"{','.join(dict.fromkeys((*VARIANT_NAMES, *VECTOR_VARIANT_NAMES)))})",
    )
    p.add_argument(
        "--retain-mode",
        choices=["both", "hnsw", "deferred"],
        default="both",
        help="retain with the HNSW index present, deferred, or both (default)",
    )
    p.add_argument("--quick", action="store_true", help="small configuration (~1 minute)")
    p.add_argument("--skip-recall", action="store_true", help="skip the recall workload")
    p.add_argument("--skip-retain", action="store_true", help="skip the retain workload")
    p.add_argument("--json", type=Path, help="write the results as JSON to this path")
    p.add_argument("--plot", type=Path, help="write a PNG of the latency distributions")
    p.add_argument(
        "--profile",
        action="store_true",
        help="print the top functions by cumulative time for the memrepo variant",
    )
    p.add_argument("--url", help="an existing PostgreSQL (default: the embedded server)")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="embedded server data directory (default: $MEMREPO_BENCH_DIR or the user "
        "cache's memrepo/bench-pg18); the loaded bank is cached there between runs",
    )
    p.add_argument(
        "--shared-buffers",
        default="1GB",
        help="shared_buffers of the embedded server (default 1GB, so a 100,000-item bank "
        "and its indexes stay in memory; PostgreSQL's own default is 128MB)",
    )
    p.add_argument("--reload", action="store_true", help="reload the bank even if cached")
    p.add_argument(
        "--schema",
        help="schema holding the bank (default: bench_n<items>_s<seed>_g<generator version>)",
    )
    p.add_argument(
        "--compare",
        type=Path,
        help="a previous --json result: also print memrepo's p50 relative to it",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


def resolve_config(args: argparse.Namespace) -> Config:
    quick = args.quick
    items = args.items or (PRESETS[args.preset] if args.preset else (2000 if quick else 10_000))
    variants = tuple(v.strip() for v in args.variants.split(",") if v.strip())
    known = (*VARIANT_NAMES, *VECTOR_VARIANT_NAMES)
    unknown = [v for v in variants if v not in known]
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; choose from {', '.join(known)}")
    workloads = tuple(w.strip() for w in args.workloads.split(",") if w.strip())
    if set(workloads) - set(WORKLOADS):
        raise SystemExit(f"unknown workloads {workloads}; choose from {', '.join(WORKLOADS)}")
    try:
        ks = tuple(int(k) for k in args.k.split(",") if k.strip())
    except ValueError:
        raise SystemExit(f"--k takes comma-separated integers, got {args.k!r}") from None
    return Config(
        items=items,
        seed=args.seed,
        recalls=args.recalls or (60 if quick else 200),
        warmup=args.warmup if args.warmup is not None else (8 if quick else 20),
        batch=args.batch or (10 if quick else 20),
        concurrency=args.concurrency,
        retain_items=args.retain_items or (1000 if quick else 10_000),
        retain_reps=args.retain_reps or (1 if quick else 2),
        variants=variants,
        ks=ks or (20,),
        workloads=workloads,
    )


def default_data_dir() -> Path:
    env = os.environ.get("MEMREPO_BENCH_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_path("memrepo")) / "bench-pg18"


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


def say(text: str = "") -> None:
    print(text, flush=True)


def _meta(
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
) -> dict[str, float | None]:
    """recall@k of each variant's semantic arms, over the first `QUALITY_QUERIES` queries."""
    sample = list(queries[:QUALITY_QUERIES])
    truth = await true_neighbours(server.dsn, info.schema, info.bank_id, sample, k)
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
) -> RecallRun:
    """EXPLAIN, then the interleaved measurement of one workload at one k, then recall@k
    (and the profile, if asked)."""
    meta: dict[str, Any] = {"missing": {}, "failed": {}}
    document["meta"]["shapes"].setdefault(workload, {})[str(k)] = meta
    shape = RecallShape.for_k(k)
    target = Target(server.url, server.dsn, info.schema, info.bank_id, cfg.concurrency, shape)
    queries = SyntheticBank(BankSpec(cfg.items, seed=cfg.seed)).queries(cfg.recalls + cfg.warmup)
    classes = VARIANTS if workload == "recall" else VECTOR_VARIANTS
    baseline = BASELINE if workload == "recall" else VECTOR_BASELINE
    variants = await _open_variants(cfg, target, meta, classes)
    failed: dict[str, str] = {}
    try:
        if workload == "recall":
            meta["explain"] = await explain_recall(server.dsn, target, queries[0])
            meta["explain_findings"] = index_findings(meta["explain"])
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
        meta["recall_at_k"] = await _quality(variants, server, info, queries, k, failed)
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
    if workload == "recall":
        meta["row_count_mismatches_vs_memrepo"] = run.mismatches("memrepo")
    meta["latencies_s"] = {n: [round(x, 6) for x in run.latencies[n]] for n in measured}
    results = document[workload].setdefault(str(k), {})
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


def _noise_band(spread: dict[str, list[float] | None]) -> list[float] | None:
    """The round-to-round noise: the median half-width of the variants' p25-p75 of their
    per-round paired ratios, around 1."""
    widths = [(hi - lo) / 2 for lo, hi in (v for v in spread.values() if v)]
    if not widths:
        return None
    w = statistics.median(widths)
    return [1.0 - w, 1.0 + w]


def report_recall(
    args: argparse.Namespace, cfg: Config, document: dict[str, Any], *, k: int, workload: str
) -> list[TargetCheck]:
    meta = document["meta"]["shapes"][workload][str(k)]
    results = document[workload].get(str(k), {})
    stats = {
        n: Stats(**{f: v for f, v in d.items() if f in Stats.__dataclass_fields__})
        for n, d in results.items()
    }
    unavailable = {n: f"missing: {why}" for n, why in meta["missing"].items()}
    unavailable.update({n: f"failed: {why}" for n, why in meta["failed"].items()})
    reads = meta["shape"].get("column_reads_per_recall_mean") or 0
    names = VARIANT_NAMES if workload == "recall" else VECTOR_VARIANT_NAMES
    baseline = meta["baseline"]
    say()
    what = "combined recall" if workload == "recall" else "vector search (3 semantic arms)"
    say(
        f"## {what}, k={k}: {cfg.items:,} items, concurrency {cfg.concurrency}, "
        f"~{reads:,.0f} column reads per call, {meta['rounds']} interleaved rounds"
    )
    say(
        recall_table(
            stats,
            [n for n in names if n in cfg.variants],
            baseline,
            throughput=meta["throughput_per_s"],
            paired=meta["paired_ratio_vs_baseline"],
            cpu=meta["client_cpu_s_per_recall"],
            rss=meta["rss_peak_bytes_by_variant"],
            unavailable=unavailable,
            spread=meta["paired_ratio_p25_p75"],
            quality=meta["recall_at_k"],
        )
    )
    meta["noise_band"] = _noise_band(meta["paired_ratio_p25_p75"])
    targets: list[TargetCheck] = []
    if workload == "recall":
        mismatch = {n: c for n, c in meta["row_count_mismatches_vs_memrepo"].items() if c}
        if mismatch:
            say(f"WARNING: some variants read other row counts than memrepo: {mismatch}")
        arms = meta["explain"].get("recall.arms", {}).get("arm_indexes", {})
        say()
        say(
            "EXPLAIN (first query): "
            + ", ".join(f"{arm} -> {'+'.join(idx) or 'no index'}" for arm, idx in arms.items())
        )
        for name, entry in meta["explain"].items():
            say(f"  {name}: {'; '.join(entry['scans'])}")
        targets.extend(recall_targets(stats, k, meta["recall_at_k"]))
    if args.compare and args.compare.is_file() and "memrepo" in stats:
        before = json.loads(args.compare.read_text())
        prev = before.get(workload, {}).get(str(k), {}).get("memrepo", {}).get("p50_s")
        items_before = before.get("meta", {}).get("config", {}).get("items")
        if prev and items_before:
            ratio = stats["memrepo"].p50_s / prev
            meta["compare"] = {"path": str(args.compare), "items": items_before, "p50_ratio": ratio}
            say(
                f"memrepo p50 at {cfg.items:,} items / p50 at {items_before:,} items "
                f"({args.compare}, {workload}, k={k}): {ratio:.2f}x"
            )
            if workload == "recall":
                targets.append(scaling_target(ratio, k, cfg.items, items_before))
    return targets


def report_exact(exact: dict[str, Any]) -> None:
    say()
    say(
        f"## exact fallback: {exact['arms']} semantic arms of k={exact['k']}, "
        f"{exact['queries']} queries, one connection, interleaved"
    )
    rows = []
    for name in ("exact", "materialised", "seq_scan"):
        e = exact[name]
        lo, hi = e["ratio_range"] or (None, None)
        rows.append(
            [
                name,
                f"{e['median_s'] * 1000:.1f}",
                f"{e['min_s'] * 1000:.1f}-{e['max_s'] * 1000:.1f}",
                "-" if e["ratio_vs_seq_scan"] is None else f"{e['ratio_vs_seq_scan']:.2f}x",
                "-" if lo is None else f"{lo:.2f}-{hi:.2f}",
                str(exact["queries"]),
            ]
        )
    headers = ["statement", "median ms (3 arms)", "min-max ms", "/ seq_scan", "range", "n"]
    say(table(headers, rows))


def report_retain(cfg: Config, run: RetainRun, document: dict[str, Any]) -> None:
    say()
    runs = f"{cfg.retain_reps} run{'s' if cfg.retain_reps > 1 else ''}"
    say(
        f"## retain: {run.items:,} units + {run.links:,} links, with entities, one "
        f"transaction (best of {runs})"
    )
    say(retain_table(document["retain"], RETAIN_VARIANTS, RETAIN_BASELINE))
    if run.index_build_s is not None:
        say(
            f"deferred index: the HNSW build afterwards took {run.index_build_s:.2f} s "
            f"for {run.items:,} rows"
        )
    say()
    say(breakdown_table(run.breakdown))


async def run(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    cfg = resolve_config(args)
    started = time.perf_counter()
    spec = BankSpec(cfg.items, seed=cfg.seed)
    say(
        f"memrepo bench: {cfg.items:,} items, seed {cfg.seed}, concurrency {cfg.concurrency}, "
        f"{cfg.recalls} recalls/variant (+{cfg.warmup} warm-up), batches of {cfg.batch}"
    )
    server = BenchServer.open(
        args.url,
        None if args.url else (args.data_dir or default_data_dir()),
        {"shared_buffers": args.shared_buffers},
    )
    say(f"server: {server.kind}" + (f" ({server.data_dir})" if server.data_dir else ""))
    info = await ensure_bank(
        server, spec, schema=args.schema, reload=args.reload, progress=not args.no_progress
    )
    load = (
        f" (load {info.load_s:.1f} s, HNSW build {info.index_build_s:.1f} s)"
        if info.load_s is not None and info.index_build_s is not None
        else ""
    )
    say(
        f"bank: schema {info.schema}, {'cached' if info.cached else 'loaded'}{load}; "
        f"rows {info.rows}"
    )
    meta = _meta(cfg, spec, info, server, argv)
    meta["server"].update(await server_info(server.dsn))
    meta["shapes"] = {}
    document: dict[str, Any] = {"recall": {}, "vector": {}, "retain": {}, "meta": meta}

    measured: list[tuple[int, str]] = []
    for k in cfg.ks:
        for workload in ("recall", "vector"):
            if workload in cfg.workloads and not args.skip_recall:
                await recall_phase(args, cfg, server, info, document, k=k, workload=workload)
                measured.append((k, workload))
    if "exact" in cfg.workloads and not args.skip_recall:
        queries = SyntheticBank(BankSpec(cfg.items, seed=cfg.seed)).queries(QUALITY_QUERIES)
        document["exact"] = await run_exact(
            server.dsn, info.schema, info.bank_id, queries, k=max(cfg.ks)
        )
    retain_run = None if args.skip_retain else await retain_phase(args, cfg, server, document)
    meta["peak_rss_bytes"] = peak_rss_bytes()
    meta["duration_s"] = time.perf_counter() - started

    targets: list[TargetCheck] = []
    for k, workload in measured:
        targets.extend(report_recall(args, cfg, document, k=k, workload=workload))
    if document.get("exact"):
        report_exact(document["exact"])
        targets.extend(exact_targets(document["exact"]))
    if retain_run is not None:
        report_retain(cfg, retain_run, document)
        targets.extend(retain_targets(document["retain"]))
    if targets:
        say()
        say("targets (goals, not assertions):")
        for t in targets:
            say("  " + t.line())
        meta["targets"] = [asdict(t) for t in targets]
    say()
    say(f"peak RSS {meta['peak_rss_bytes'] / 2**20:.0f} MiB; total {meta['duration_s']:.0f} s")
    if "profile" in meta:
        say()
        say("## profile: memrepo recall (cProfile, after the measurement)")
        say(meta["profile"])
    if args.plot:
        shapes = {}
        for k, workload in measured:
            m = meta["shapes"][workload][str(k)]
            shapes[f"{workload} k={k}"] = {
                "paired": m["paired_ratio_vs_baseline"],
                "spread": m["paired_ratio_p25_p75"],
                "cpu": m["client_cpu_s_per_recall"],
                "baseline": m["baseline"],
                "band": m.get("noise_band"),
            }
        if shapes or document["retain"]:
            title = f"memrepo bench, {cfg.items:,} items, concurrency {cfg.concurrency}"
            why = plot(args.plot, shapes, document["retain"], title)
            meta["plot"] = str(args.plot) if why is None else f"not written: {why}"
        else:
            meta["plot"] = "not written: nothing measured"
        say(f"plot: {meta['plot']}")
    if args.json:
        write_json(args.json, finite(document))
        say(f"json: {args.json}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    return asyncio.run(run(args, argv))
