"""`python -m repo bench`: recall latency and retain throughput, memrepo vs the alternatives.

The run, from the options (`repo.bench.config`, with examples) through the measured phases
(`repo.bench.phases`) to the printed reports (`repo.bench.console`) and the JSON and plot.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from repo.bench.bank import BenchServer, ensure_bank
from repo.bench.config import QUALITY_QUERIES, build_parser, default_data_dir, resolve_config
from repo.bench.console import (
    report_exact,
    report_filtered,
    report_graph,
    report_recall,
    report_retain,
    report_temporal,
    say,
)
from repo.bench.data import SyntheticBank
from repo.bench.exact import run_exact
from repo.bench.filters import UNFILTERED, workload_key
from repo.bench.graph import GRAPH_WORKLOADS, graph_spec, hub_mentions
from repo.bench.phases import peak_rss_bytes, recall_phase, retain_phase, run_meta, server_info
from repo.bench.report import TargetCheck, exact_targets, finite, plot, retain_targets, write_json


async def run(args: argparse.Namespace, argv: Sequence[str] = ()) -> int:
    cfg = resolve_config(args)
    started = time.perf_counter()
    spec = cfg.spec()
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
    meta = run_meta(cfg, spec, info, server, argv)
    meta["server"].update(await server_info(server.dsn))
    meta["shapes"] = {}
    document: dict[str, Any] = {"recall": {}, "vector": {}, "retain": {}, "meta": meta}

    hub_info = None
    if "graph" in cfg.workloads and not args.skip_recall:
        hubs = graph_spec(spec)
        hub_info = await ensure_bank(
            server,
            hubs,
            schema=f"{args.schema}_hubs" if args.schema else None,
            reload=args.reload,
            progress=not args.no_progress,
        )
        names = SyntheticBank(hubs).hub_names
        meta["graph_bank"] = {
            "schema": hub_info.schema,
            "spec": asdict(hubs),
            "cached": hub_info.cached,
            "rows": hub_info.rows,
            "hub_mentions": await hub_mentions(
                server.dsn, hub_info.schema, hub_info.bank_id, names
            ),
        }
        say(
            f"graph bank: schema {hub_info.schema}, "
            f"hub mentions {meta['graph_bank']['hub_mentions']}"
        )

    measured: list[tuple[int, str]] = []
    workloads = ("recall", "filtered", "temporal", "temporal_arm", *GRAPH_WORKLOADS, "vector")
    for k in cfg.ks:
        for workload in workloads:
            if workload.split("_")[0] not in cfg.workloads or args.skip_recall:
                continue
            graph = workload in GRAPH_WORKLOADS and hub_info is not None
            bank = hub_info if graph and hub_info else info
            for where in cfg.filters if workload == "filtered" else (UNFILTERED,):
                await recall_phase(
                    args, cfg, server, bank, document, k=k, workload=workload, where=where,
                    plain=info if graph else None,
                )  # fmt: skip
                measured.append((k, workload_key(where) if workload == "filtered" else workload))
    if "exact" in cfg.workloads and not args.skip_recall:
        queries = SyntheticBank(spec).queries(QUALITY_QUERIES)
        document["exact"] = await run_exact(
            server.dsn, info.schema, info.bank_id, queries, k=max(cfg.ks)
        )
    retain_run = None if args.skip_retain else await retain_phase(args, cfg, server, document)
    meta["peak_rss_bytes"] = peak_rss_bytes()
    meta["duration_s"] = time.perf_counter() - started

    targets: list[TargetCheck] = []
    for k, workload in measured:
        targets.extend(report_recall(args, cfg, document, k=k, workload=workload))
    if any(w.startswith("filtered:") for _, w in measured):
        targets.extend(report_filtered(cfg, document))
    if any(w.startswith("temporal") for _, w in measured):
        report_temporal(cfg, document)
    if any(w in GRAPH_WORKLOADS for _, w in measured):
        report_graph(cfg, document)
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
