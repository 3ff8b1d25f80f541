"""`python -m repo bench`: recall latency and retain throughput, memrepo vs the alternatives.

Examples::

    python -m repo bench --quick                       # ~1 minute, for CI and checks
    python -m repo bench --json bench.json --plot bench.png
    python -m repo bench --preset 33k --profile
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
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from repo.bench.bank import BenchServer, LoadInfo, ensure_bank
from repo.bench.data import GENERATOR_VERSION, BankSpec, SyntheticBank
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
    finite,
    plot,
    recall_table,
    recall_targets,
    retain_table,
    retain_targets,
    summarize,
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

PRESETS = {"10k": 10_000, "33k": 33_000, "100k": 100_000}
LIBRARIES = (
    "asyncpg",
    "sqlalchemy",
    "databases",
    "sqlspec",
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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m repo bench",
        description="Recall latency and retain throughput: memrepo vs the raw driver and "
        "the libraries users would pick instead, in one run, as ratios.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("Examples::", 1)[1] if __doc__ else None,
    )
    p.add_argument("--items", type=int, default=None, help="units in the bank (default 10000)")
    p.add_argument("--preset", choices=sorted(PRESETS), help="bank size preset: 10k, 33k, 100k")
    p.add_argument("--seed", type=int, default=42, help="data seed (default 42)")
    p.add_argument("--recalls", type=int, default=None, help="measured recalls per variant (200)")
    p.add_argument("--warmup", type=int, default=None, help="warm-up recalls per variant (20)")
    p.add_argument("--batch", type=int, default=None, help="recalls per interleaved batch (20)")
    p.add_argument("--concurrency", type=int, default=4, help="recalls in flight (default 4)")
    p.add_argument("--retain-items", type=int, default=None, help="units per retain run (10000)")
    p.add_argument("--retain-reps", type=int, default=None, help="runs per retain variant (2)")
    p.add_argument(
        "--variants",
        default=",".join(VARIANT_NAMES),
        help=f"comma-separated recall variants (default: all of {','.join(VARIANT_NAMES)})",
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
    unknown = [v for v in variants if v not in VARIANT_NAMES]
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; choose from {', '.join(VARIANT_NAMES)}")
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


async def _open_variants(cfg: Config, target: Target, meta: dict[str, Any]) -> list[RecallVariant]:
    """The selected variants, opened; the others are recorded as missing or failed."""
    variants: list[RecallVariant] = []
    for cls in VARIANTS:
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


async def recall_phase(
    args: argparse.Namespace,
    cfg: Config,
    server: BenchServer,
    info: LoadInfo,
    document: dict[str, Any],
) -> RecallRun:
    """EXPLAIN, then the interleaved recall measurement (then the profile, if asked)."""
    meta = document["meta"]
    shape = RecallShape()
    target = Target(server.url, server.dsn, info.schema, info.bank_id, cfg.concurrency, shape)
    queries = SyntheticBank(BankSpec(cfg.items, seed=cfg.seed)).queries(cfg.recalls + cfg.warmup)
    variants = await _open_variants(cfg, target, meta)
    try:
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
        if args.profile:
            mem = next((v for v in variants if v.name == "memrepo"), None)
            if mem is not None and "memrepo" not in run.failed:
                n = max(cfg.recalls // 2, 20)
                meta["profile"] = await profile_variant(mem, queries, n, cfg.concurrency)
    finally:
        for v in variants:
            try:
                await v.close()
            except Exception as exc:  # a broken variant must not hide the results
                meta["failed"].setdefault(v.name, f"close: {type(exc).__name__}: {exc}")
    meta["failed"].update(run.failed)
    measured = [v.name for v in variants if v.name not in run.failed and run.latencies[v.name]]
    reads = run.reads.get("memrepo") or next(iter(run.reads.values()), {})
    meta["recall_shape"] = {
        **asdict(shape),
        "column_reads_per_recall_mean": sum(reads.values()) / len(reads) if reads else None,
    }
    meta["throughput_per_s"] = {n: run.throughput(n) for n in measured}
    meta["client_cpu_s_per_recall"] = {n: run.cpu_per_recall(n) for n in measured}
    meta["paired_ratio_vs_baseline"] = {n: run.paired_ratio(n, BASELINE) for n in measured}
    meta["rss_peak_bytes_by_variant"] = run.rss_peak
    meta["row_count_mismatches_vs_memrepo"] = run.mismatches("memrepo")
    meta["latencies_s"] = {n: [round(x, 6) for x in run.latencies[n]] for n in measured}
    for name in measured:
        document["recall"][name] = {
            **summarize(run.latencies[name]).as_json(),
            "throughput_per_s": meta["throughput_per_s"][name],
            "client_cpu_s_per_recall": meta["client_cpu_s_per_recall"][name],
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


def report_recall(args: argparse.Namespace, cfg: Config, document: dict[str, Any]) -> None:
    meta = document["meta"]
    stats = {
        n: Stats(**{k: v for k, v in d.items() if k in Stats.__dataclass_fields__})
        for n, d in document["recall"].items()
    }
    unavailable = {n: f"missing: {why}" for n, why in meta["missing"].items()}
    unavailable.update({n: f"failed: {why}" for n, why in meta["failed"].items()})
    reads = meta["recall_shape"].get("column_reads_per_recall_mean") or 0
    say()
    say(
        f"## recall: {cfg.items:,} items, concurrency {cfg.concurrency}, "
        f"~{reads:,.0f} column reads per recall"
    )
    say(
        recall_table(
            stats,
            [n for n in VARIANT_NAMES if n in cfg.variants],
            BASELINE,
            throughput=meta["throughput_per_s"],
            paired=meta["paired_ratio_vs_baseline"],
            cpu=meta["client_cpu_s_per_recall"],
            rss=meta["rss_peak_bytes_by_variant"],
            unavailable=unavailable,
        )
    )
    mismatch = {k: v for k, v in meta["row_count_mismatches_vs_memrepo"].items() if v}
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
    if args.compare and args.compare.is_file() and "memrepo" in stats:
        before = json.loads(args.compare.read_text())
        prev = before.get("recall", {}).get("memrepo", {}).get("p50_s")
        items_before = before.get("meta", {}).get("config", {}).get("items")
        if prev and items_before:
            ratio = stats["memrepo"].p50_s / prev
            meta["compare"] = {
                "path": str(args.compare),
                "items": items_before,
                "memrepo_p50_ratio": ratio,
            }
            say(
                f"memrepo p50 at {cfg.items:,} items / p50 at {items_before:,} items "
                f"({args.compare}): {ratio:.2f}x"
            )


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
    document: dict[str, Any] = {"recall": {}, "retain": {}, "meta": meta}

    recall_run = None if args.skip_recall else await recall_phase(args, cfg, server, info, document)
    retain_run = None if args.skip_retain else await retain_phase(args, cfg, server, document)
    meta["peak_rss_bytes"] = peak_rss_bytes()
    meta["duration_s"] = time.perf_counter() - started

    targets: list[TargetCheck] = []
    if recall_run is not None:
        report_recall(args, cfg, document)
        stats = {n: summarize(recall_run.latencies[n]) for n in document["recall"]}
        targets.extend(recall_targets(stats))
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
        latencies = {n: recall_run.latencies[n] for n in document["recall"]} if recall_run else {}
        if latencies:
            title = f"recall latency, {cfg.items:,} items, concurrency {cfg.concurrency}"
            why = plot(args.plot, latencies, title)
            meta["plot"] = str(args.plot) if why is None else f"not written: {why}"
        else:
            meta["plot"] = "not written: no recall latencies"
        say(f"plot: {meta['plot']}")
    if args.json:
        write_json(args.json, finite(document))
        say(f"json: {args.json}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    return asyncio.run(run(args, argv))
