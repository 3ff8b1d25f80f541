"""Options of `python -m repo bench`: the parser, the size presets and the resolved `Config`.

Examples::

    python -m repo bench --quick                       # ~1 minute, for CI and checks
    python -m repo bench --json bench.json --plot bench.png --k 20,200
    python -m repo bench --preset 100k --skip-retain --compare bench.json
    python -m repo bench --url postgresql://u:p@host/db --items 10000
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from repo.bench.data import BankSpec
from repo.bench.filters import FILTERED
from repo.bench.variants import VARIANT_NAMES
from repo.bench.vectors import VECTOR_VARIANT_NAMES

PRESETS = {"10k": 10_000, "33k": 33_000, "100k": 100_000, "300k": 300_000}
WORKLOADS = ("recall", "filtered", "temporal", "graph", "vector", "exact")
#: Queries whose semantic arms are checked against brute force (recall@k).
QUALITY_QUERIES = 20


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
    #: Unit texts and embeddings: "synthetic" or "sentences" (repo.bench.data).
    corpus: str = "synthetic"
    #: The filtered workload's filters (repo.bench.filters).
    filters: tuple[str, ...] = FILTERED

    def spec(self) -> BankSpec:
        return BankSpec(self.items, seed=self.seed, corpus=self.corpus)  # type: ignore[arg-type]


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
        help="recall (combined recall), filtered (the combined recall under each of "
        "--filters), temporal (the combined recall with the temporal arm over ~5%% of the "
        "bank, and recall.temporal alone), graph (the combined recall on a bank with 3 "
        "hub entities each mentioned by ~15%% of the units, with the default per-entity "
        "fan-out cap and uncapped; loads that bank once), vector (three semantic searches, with "
        "langchain-postgres), exact "
        "(the exact fallback); default all",
    )
    p.add_argument(
        "--filters",
        default=",".join(FILTERED),
        help=f"the filtered workload's filters (default all: {','.join(FILTERED)})",
    )
    p.add_argument(
        "--corpus",
        choices=["synthetic", "sentences"],
        default="synthetic",
        help="unit texts and embeddings: made-up topic words (synthetic, default) or the "
        "standard library's sentences with lexical-neighbourhood embeddings (sentences)",
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
    filters = tuple(f.strip() for f in args.filters.split(",") if f.strip())
    if set(filters) - set(FILTERED):
        raise SystemExit(f"unknown filters {filters}; choose from {', '.join(FILTERED)}")
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
        corpus=args.corpus,
        filters=filters,
    )


def default_data_dir() -> Path:
    env = os.environ.get("MEMREPO_BENCH_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_path("memrepo")) / "bench-pg18"
