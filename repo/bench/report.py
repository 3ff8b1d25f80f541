"""Statistics, the result tables, the targets, the JSON document and the latency plot."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from repo.bench.progress import optional_import


@dataclass(frozen=True)
class Stats:
    n: int
    mean_s: float
    p50_s: float
    p95_s: float
    p99_s: float
    min_s: float
    max_s: float
    stdev_s: float

    def as_json(self) -> dict[str, float | int]:
        return asdict(self)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), `q` in [0, 100]."""
    if not sorted_values:
        return math.nan
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def summarize(latencies: Sequence[float]) -> Stats:
    v = sorted(latencies)
    return Stats(
        n=len(v),
        mean_s=statistics.fmean(v) if v else math.nan,
        p50_s=percentile(v, 50),
        p95_s=percentile(v, 95),
        p99_s=percentile(v, 99),
        min_s=v[0] if v else math.nan,
        max_s=v[-1] if v else math.nan,
        stdev_s=statistics.stdev(v) if len(v) > 1 else 0.0,
    )


def _ms(x: float) -> str:
    return f"{x * 1000:.1f}"


def _ratio(x: float | None, base: float | None) -> str:
    if x is None or not base or math.isnan(x) or math.isnan(base):
        return "-"
    return f"{x / base:.2f}x"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table (also readable as plain text)."""
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])


def recall_table(
    stats: Mapping[str, Stats],
    order: Sequence[str],
    baseline: str,
    *,
    throughput: Mapping[str, float],
    paired: Mapping[str, float | None],
    cpu: Mapping[str, float | None],
    rss: Mapping[str, int],
    unavailable: Mapping[str, str],
    spread: Mapping[str, Sequence[float] | None] | None = None,
    quality: Mapping[str, float | None] | None = None,
) -> str:
    """One row per variant; `spread`: the p25-p75 of the per-round paired ratios,
    `quality`: recall@k of the semantic arms."""
    base = stats.get(baseline)
    spread = spread or {}
    quality = quality or {}
    rows = []
    for name in order:
        if name in unavailable:
            rows.append([name, unavailable[name], *[""] * 12])
            continue
        if name not in stats:
            continue
        s = stats[name]
        rows.append(
            [
                name,
                _ms(s.mean_s),
                _ms(s.p50_s),
                _ms(s.p95_s),
                _ratio(s.mean_s, base.mean_s if base else None),
                _ratio(s.p50_s, base.p50_s if base else None),
                "-" if paired.get(name) is None else f"{paired[name]:.2f}x",
                _range(spread.get(name)),
                "-" if cpu.get(name) is None else _ms(cpu[name] or 0.0),
                _ratio(cpu.get(name), cpu.get(baseline)),
                f"{throughput.get(name, 0.0):.1f}",
                "-" if quality.get(name) is None else f"{quality[name]:.3f}",
                str(s.n),
                f"{rss[name] / 2**20:.0f}" if name in rss else "-",
            ]
        )
    headers = [
        "variant",
        "mean ms",
        "p50 ms",
        "p95 ms",
        f"mean / {baseline}",
        f"p50 / {baseline}",
        "paired",
        "paired p25-p75",
        "client CPU ms",
        "CPU / base",
        "recalls/s",
        "recall@k",
        "n",
        "RSS MiB",
    ]
    return table(headers, rows)


def _range(values: Sequence[float] | None) -> str:
    if not values:
        return "-"
    return f"{values[0]:.2f}-{values[-1]:.2f}"


def retain_table(
    rates: Mapping[str, Mapping[str, float | None]], order: Sequence[str], baseline: str
) -> str:
    rows = []
    hnsw_base = rates.get(baseline, {}).get("rows_per_s")
    deferred_base = rates.get(baseline, {}).get("rows_per_s_deferred_index")
    for name in order:
        r = rates.get(name, {})
        hnsw, deferred = r.get("rows_per_s"), r.get("rows_per_s_deferred_index")
        rows.append(
            [
                name,
                f"{hnsw:,.0f}" if hnsw else "-",
                _ratio(hnsw, hnsw_base),
                f"{deferred:,.0f}" if deferred else "-",
                _ratio(deferred, deferred_base),
            ]
        )
    headers = [
        "variant",
        "rows/s (HNSW present)",
        f"/ {baseline}",
        "rows/s (deferred index)",
        f"/ {baseline}",
    ]
    return table(headers, rows)


def breakdown_table(breakdown: Mapping[str, Mapping[str, Mapping[str, float]]]) -> str:
    """Seconds per step of each variant's best run, per index mode (share of its total)."""
    columns = [(mode, variant) for mode, per in breakdown.items() for variant in per]
    steps: list[str] = []
    for mode, variant in columns:
        steps.extend(s for s in breakdown[mode][variant] if s not in steps and s != "total")
    rows = []
    for step in [*steps, "total"]:
        cells = [step]
        for mode, variant in columns:
            parts = breakdown[mode][variant]
            value, total = parts.get(step), parts.get("total") or 1.0
            cells.append("-" if value is None else f"{value:.2f} s ({value / total:.0%})")
        rows.append(cells)
    headers = ["step", *(f"{v} ({'HNSW' if m == 'hnsw' else 'deferred'})" for m, v in columns)]
    return table(headers, rows)


@dataclass(frozen=True)
class TargetCheck:
    name: str
    goal: str
    value: float | None
    met: bool | None

    def line(self) -> str:
        mark = {True: "met", False: "MISSED", None: "n/a"}[self.met]
        value = "-" if self.value is None else f"{self.value:.2f}"
        return f"{mark:6}  {self.name}: {value} (goal {self.goal})"


def _check(name: str, goal: str, value: float | None, ok: bool | None) -> TargetCheck:
    return TargetCheck(name, goal, value, ok if value is not None else None)


def recall_targets(
    stats: Mapping[str, Stats], k: int, quality: Mapping[str, float | None]
) -> list[TargetCheck]:
    def mean(name: str) -> float | None:
        st = stats.get(name)
        return st.mean_s if st else None

    def ratio(a: str, b: str) -> float | None:
        x, y = mean(a), mean(b)
        return None if x is None or y is None or not y else x / y

    def at_most(name: str, r: float | None, goal: float) -> TargetCheck:
        return _check(f"k={k}: {name}", f"<= {goal}", r, r is not None and r <= goal)

    def at_least(name: str, r: float | None, goal: float) -> TargetCheck:
        return _check(f"k={k}: {name}", f">= {goal}", r, r is not None and r >= goal)

    out = [
        at_most("memrepo / raw_asyncpg (mean)", ratio("memrepo", "raw_asyncpg"), 0.95),
        at_most(
            "memrepo / raw_asyncpg_one_conn (mean)",
            ratio("memrepo", "raw_asyncpg_one_conn"),
            1.02,
        ),
        at_least("sqlalchemy_async / memrepo (mean)", ratio("sqlalchemy_async", "memrepo"), 1.4),
        at_least("wrapped_rows / memrepo (mean)", ratio("wrapped_rows", "memrepo"), 1.15),
    ]
    for other in ("databases", "sqlspec"):
        r = ratio(other, "memrepo")
        out.append(_check(f"k={k}: {other} / memrepo (mean)", "> 1.0", r, r is not None and r > 1))
    q = quality.get("memrepo")
    out.append(at_least("memrepo semantic recall@k", q, 0.95))
    return out


def retain_targets(rates: Mapping[str, Mapping[str, float | None]]) -> list[TargetCheck]:
    def ratio(a: str, b: str, key: str) -> float | None:
        x, y = rates.get(a, {}).get(key), rates.get(b, {}).get(key)
        return None if not x or not y else x / y

    key = "rows_per_s_deferred_index"
    checks = [
        ("retain memrepo / copy (deferred index)", ("memrepo", "copy"), 0.9),
        ("retain memrepo / executemany (deferred index)", ("memrepo", "executemany"), 1.3),
        ("retain numpy / array('f') input (deferred index)", ("memrepo_numpy", "memrepo"), 0.95),
    ]
    out = []
    for name, (a, b), goal in checks:
        r = ratio(a, b, key)
        out.append(_check(name, f">= {goal}", r, r is not None and r >= goal))
    return out


def exact_targets(exact: Mapping[str, Any] | None) -> list[TargetCheck]:
    if not exact:
        return []
    r = exact.get("exact", {}).get("ratio_vs_seq_scan")
    return [
        _check("exact fallback / seq scan (three arms)", "<= 1.3", r, r is not None and r <= 1.3)
    ]


def scaling_target(ratio: float | None, k: int, items: int, base_items: int) -> TargetCheck:
    name = f"k={k}: memrepo p50 at {items:,} / p50 at {base_items:,}"
    return _check(name, "<= 2.0", ratio, ratio is not None and ratio <= 2.0)


def write_json(path: Path, document: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str, allow_nan=False) + "\n")


def _finite(value: Any) -> Any:
    """NaN/inf become None (JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def finite(document: Mapping[str, Any]) -> dict[str, Any]:
    return dict(_finite(dict(document)))


def plot(
    path: Path,
    shapes: Mapping[str, Mapping[str, Any]],
    retain: Mapping[str, Mapping[str, float | None]],
    title: str,
) -> str | None:
    """A PNG: per recall shape, each variant's latency ratio to the baseline (paired, with
    its p25-p75 over rounds) and its client CPU per recall, both over a shaded noise band;
    then the retain rates. Every y axis starts at 0.

    `shapes`: label -> {"paired": {variant: ratio}, "spread": {variant: [p25, p75]},
    "cpu": {variant: seconds}, "baseline": name, "band": [low, high]} (the noise band: the
    round-to-round spread of the paired ratios, around 1). Returns None when written, else
    why not.
    """
    matplotlib, why = optional_import("matplotlib")
    if matplotlib is None:
        return why
    matplotlib.use("Agg")
    plt: Any = optional_import("matplotlib.pyplot")[0]
    labels = list(shapes)
    fig, grid = plt.subplots(len(labels) + 1, 2, figsize=(14, 4.2 * (len(labels) + 1)))
    axes = [ax for row in (grid if len(labels) else [grid]) for ax in row]
    axes[-1].axis("off")
    for i, label in enumerate(labels):
        shape = shapes[label]
        names = [n for n in shape["paired"] if shape["paired"][n] is not None]
        ratios = [shape["paired"][n] for n in names]
        lows = [
            r - (shape["spread"].get(n) or [r, r])[0] for n, r in zip(names, ratios, strict=True)
        ]
        highs = [
            (shape["spread"].get(n) or [r, r])[1] - r for n, r in zip(names, ratios, strict=True)
        ]
        ax = axes[2 * i]
        band = shape.get("band")
        lo, hi = band if band else (1.0, 1.0)
        ax.axhspan(min(lo, 1.0), max(hi, 1.0), color="grey", alpha=0.2, label="noise band")
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.bar(names, ratios, yerr=[lows, highs], capsize=3, color="tab:blue")
        ax.set_ylim(bottom=0)
        ax.set_ylabel(f"latency / {shape['baseline']} (paired, p25-p75)")
        ax.set_title(f"{label}: latency ratio")
        ax.tick_params(axis="x", rotation=30)
        ax.legend(loc="lower right")
        cpu_names = [n for n in names if shape["cpu"].get(n)]
        cpu = [shape["cpu"][n] * 1000 for n in cpu_names]
        ax = axes[2 * i + 1]
        base_cpu = shape["cpu"].get(shape["baseline"])
        if base_cpu and band:
            ax.axhspan(
                base_cpu * 1000 * min(lo, 1.0),
                base_cpu * 1000 * max(hi, 1.0),
                color="grey",
                alpha=0.2,
                label="noise band",
            )
            ax.legend(loc="lower right")
        ax.bar(cpu_names, cpu, color="tab:orange")
        ax.set_ylim(bottom=0)
        ax.set_ylabel("client CPU per recall (ms)")
        ax.set_title(f"{label}: client CPU")
        ax.tick_params(axis="x", rotation=30)
    ax = axes[-2]
    names = [n for n in retain if any(retain[n].values())]
    width = 0.4
    xs = list(range(len(names)))
    for offset, key, text in (
        (-width / 2, "rows_per_s", "HNSW present"),
        (width / 2, "rows_per_s_deferred_index", "index deferred"),
    ):
        ax.bar(
            [x + offset for x in xs], [retain[n].get(key) or 0 for n in names], width, label=text
        )
    ax.set_xticks(xs, names, rotation=30)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("units per second (best run)")
    ax.set_title("retain")
    if names:
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return None
