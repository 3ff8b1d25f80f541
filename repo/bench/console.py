"""What a benchmark run prints: one report per workload, from the result document."""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Iterator
from typing import Any

from repo.bench.config import Config
from repo.bench.graph import GRAPH_WORKLOADS, fanout_of
from repo.bench.report import (
    Stats,
    TargetCheck,
    breakdown_table,
    recall_table,
    recall_targets,
    retain_table,
    scaling_target,
    table,
)
from repo.bench.retain import RETAIN_BASELINE, RETAIN_VARIANTS, RetainRun
from repo.bench.temporal import TEMPORAL_ARM_VARIANT_NAMES
from repo.bench.variants import VARIANT_NAMES
from repo.bench.vectors import VECTOR_VARIANT_NAMES


def say(text: str = "") -> None:
    print(text, flush=True)


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
    combined = workload in ("recall", "temporal", *GRAPH_WORKLOADS) or workload.startswith(
        "filtered:"
    )
    arm_only = workload == "temporal_arm"
    names = (
        VARIANT_NAMES if combined else TEMPORAL_ARM_VARIANT_NAMES if arm_only
        else VECTOR_VARIANT_NAMES
    )  # fmt: skip
    baseline = meta["baseline"]
    say()
    what = "combined recall" if combined else "vector search (3 semantic arms)"
    if workload == "temporal":
        what += " with the temporal arm (~5% window)"
    if arm_only:
        what = "recall.temporal alone (~5% window)"
    if workload in GRAPH_WORKLOADS:
        what += f" on the hub bank, entity_fanout {fanout_of(workload)}"
    if workload.startswith("filtered:"):
        what += f" filtered by {meta['filter']} ({meta.get('selectivity', 0):.1%} of units)"
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
    if combined:
        mismatch = {n: c for n, c in meta["row_count_mismatches_vs_memrepo"].items() if c}
        if mismatch:
            say(f"WARNING: some variants read other row counts than memrepo: {mismatch}")
        entry = meta["explain"].get("recall.arms", {})
        arms, ran = entry.get("arm_indexes", {}), entry.get("exact_ran", {})

        def shown(arm: str, idx: list[str]) -> str:
            if arm.startswith("exact:"):  # the inline exact search: ran or never executed
                return f"{arm} -> {'ran' if ran.get(arm[6:]) else 'never executed'}"
            return f"{arm} -> {'+'.join(idx) or 'no index'}"

        say()
        say("EXPLAIN (first query): " + ", ".join(shown(a, idx) for a, idx in arms.items()))
        for name, entry in meta["explain"].items():
            say(f"  {name}: {'; '.join(entry['scans'])}")
        text = meta.get("text_arm")
        if text and text["execution_ms_median"] is not None:
            say(
                f"Text arm alone (EXPLAIN ANALYZE, {text['queries']} queries): server"
                f" {text['execution_ms_median']:.2f} ms median"
                f" ({text['execution_ms_min']:.2f}-{text['execution_ms_max']:.2f});"
                f" {'; '.join(text['scans'])}"
            )
        if workload == "recall":
            targets.extend(recall_targets(stats, k, meta["recall_at_k"]))
    for scan in (meta.get("temporal_window_scan"), meta.get("temporal_arm")):
        if scan:
            say(
                f"temporal arm's window: {'+'.join(scan['window_indexes']) or 'no index'}"
                f"{' (BitmapOr)' if scan['bitmap_or'] else ''}"
                f"{'; Seq Scan of memory_units' if scan['seq_scan_memory_units'] else ''}"
                + (
                    f"; server {scan['execution_ms_median']:.2f} ms median, {scan['rows']} rows"
                    if "execution_ms_median" in scan
                    else ""
                )
            )
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


def _shape_meta(document: dict[str, Any], key: str, k: int) -> dict[str, Any]:
    """The run's notes on workload `key` at k (plans, server times), written into too."""
    return document["meta"]["shapes"].get(key, {}).get(str(k), {})  # type: ignore[no-any-return]


def _vs_unfiltered(
    document: dict[str, Any], key: str, k: int
) -> Iterator[tuple[str, dict[str, Any], dict[str, Any] | None, float | None]]:
    """(variant, its results, its unfiltered recall's results, p50 over the unfiltered p50)
    for each of memrepo and raw asyncpg that ran workload `key` at k; the ratio (None
    without an unfiltered run) is also recorded in the run's notes (`p50_vs_unfiltered`)."""
    plain = document.get("recall", {}).get(str(k), {})
    results = document.get(key, {}).get(str(k), {})
    meta = _shape_meta(document, key, k)
    for name in ("memrepo", "raw_asyncpg"):
        if name not in results:
            continue
        ratio = results[name]["p50_s"] / plain[name]["p50_s"] if name in plain else None
        if ratio is not None:
            meta.setdefault("p50_vs_unfiltered", {})[name] = ratio
        yield name, results[name], plain.get(name), ratio


def report_filtered(cfg: Config, document: dict[str, Any]) -> list[TargetCheck]:
    """Filtered p50 over unfiltered p50 (same k, same run) per filter and variant, recall@k
    under each filter, and the issue's target (memrepo <= 1.5x at 100,000 items)."""
    say()
    say(f"## filtered / unfiltered p50 ({cfg.items:,} items; recall@k of the semantic arms)")
    rows, targets = [], []
    for k in cfg.ks:
        for where in cfg.filters:
            key = f"filtered:{where}"
            share = _shape_meta(document, key, k).get("selectivity", 0)
            for name, result, plain, ratio in _vs_unfiltered(document, key, k):
                if plain is None or ratio is None:
                    continue
                quality = result.get("recall_at_k")
                rows.append(
                    [
                        str(k), where, f"{share:.1%}", name, f"{result['p50_s'] * 1000:.2f}",
                        f"{plain['p50_s'] * 1000:.2f}",
                        f"{ratio:.2f}x", "-" if quality is None else f"{quality:.3f}",
                    ]
                )  # fmt: skip
                if name == "memrepo":
                    targets.append(
                        TargetCheck(
                            f"filtered p50 / unfiltered p50, {where}, k={k}",
                            "<= 1.50 at 100,000 items", ratio, ratio <= 1.5,
                        )
                    )  # fmt: skip
    headers = ["k", "filter", "share", "variant", "p50 ms", "unfiltered ms", "ratio", "recall@k"]
    say(table(headers, rows))
    return targets


def report_temporal(cfg: Config, document: dict[str, Any]) -> None:
    """The temporal workloads' p50 over the unfiltered recall's p50 (same k, same run), per
    variant, and each statement's share of the server time in the combined recall."""
    say()
    say(f"## temporal / unfiltered recall p50 ({cfg.items:,} items)")
    rows = []
    for k in cfg.ks:
        for key in ("temporal", "temporal_arm"):
            meta = _shape_meta(document, key, k)
            for name, result, plain, ratio in _vs_unfiltered(document, key, k):
                if plain is None or ratio is None:
                    continue
                rows.append(
                    [
                        str(k), key, name, f"{result['p50_s'] * 1000:.2f}",
                        f"{plain['p50_s'] * 1000:.2f}", f"{ratio:.2f}x",
                    ]
                )  # fmt: skip
            times = {n: t for n, t in meta.get("statement_ms", {}).items() if t is not None}
            if times:
                total = sum(times.values())
                meta["statement_share"] = {n: t / total for n, t in times.items()}
                say(
                    f"k={k} {key}: server time per statement (EXPLAIN ANALYZE, first query): "
                    + ", ".join(f"{n} {t:.2f} ms ({t / total:.0%})" for n, t in times.items())
                )
    say(table(["k", "workload", "variant", "p50 ms", "unfiltered ms", "ratio"], rows))


def report_graph(cfg: Config, document: dict[str, Any]) -> None:
    """The graph workloads' p50 over the unfiltered recall's p50 (same k, same run), their
    memrepo / raw asyncpg paired ratio, and the graph statement's server time."""
    say()
    hubs = document["meta"].get("graph_bank", {}).get("hub_mentions", {})
    say(f"## graph (hub bank: {hubs}) / unfiltered recall p50 ({cfg.items:,} items)")
    rows = []
    for k in cfg.ks:
        for key in GRAPH_WORKLOADS:
            meta = _shape_meta(document, key, k)
            arm = meta.get("graph_arm", {})
            server = arm.get("execution_ms_median")
            ranked = arm.get("mentions_ranked_median")
            for name, result, _, ratio in _vs_unfiltered(document, key, k):
                p50 = result["p50_s"]
                paired = meta.get("paired_ratio_vs_baseline", {}).get(name)
                rows.append(
                    [
                        str(k), key, str(fanout_of(key)), name, f"{p50 * 1000:.2f}",
                        "-" if ratio is None else f"{ratio:.2f}x",
                        "-" if paired is None else f"{paired:.3f}",
                        "-" if server is None else f"{server:.2f}",
                        "-" if ranked is None else f"{ranked:.0f}",
                        f"{arm.get('rows_mean', {}).get('graph:entity', 0):.0f}",
                    ]
                )  # fmt: skip
    headers = ["k", "workload", "fanout", "variant", "p50 ms", "/ unfiltered", "/ raw",
               "expand server ms", "mentions ranked", "entity rows"]  # fmt: skip
    say(table(headers, rows))
    for k in cfg.ks:
        meta = document["meta"]["shapes"].get("graph", {}).get(str(k), {})
        base = meta.get("graph_arm_plain_bank")
        if base and base["execution_ms_median"] is not None:
            say(
                f"k={k} bank without hubs: recall.expand server {base['execution_ms_median']:.2f}"
                f" ms median, {base['mentions_ranked_median']:.0f} mentions ranked"
            )


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
