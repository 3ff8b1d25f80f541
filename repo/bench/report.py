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
) -> str:
    base = stats.get(baseline)
    rows = []
    for name in order:
        if name in unavailable:
            rows.append([name, unavailable[name], *[""] * 10])
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
                "-" if cpu.get(name) is None else _ms(cpu[name] or 0.0),
                _ratio(cpu.get(name), cpu.get(baseline)),
                f"{throughput.get(name, 0.0):.1f}",
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
        "client CPU ms",
        "CPU / base",
        "recalls/s",
        "n",
        "RSS MiB",
    ]
    return table(headers, rows)


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


def recall_targets(stats: Mapping[str, Stats]) -> list[TargetCheck]:
    def mean(name: str) -> float | None:
        s = stats.get(name)
        return s.mean_s if s else None

    def ratio(a: str, b: str) -> float | None:
        x, y = mean(a), mean(b)
        return None if x is None or y is None or not y else x / y

    out = []
    r = ratio("memrepo", "raw_asyncpg")
    out.append(_check("memrepo / raw_asyncpg (mean)", "<= 1.05", r, r is not None and r <= 1.05))
    r = ratio("sqlalchemy_async", "memrepo")
    out.append(_check("sqlalchemy_async / memrepo (mean)", ">= 1.4", r, r is not None and r >= 1.4))
    r = ratio("wrapped_rows", "memrepo")
    out.append(_check("wrapped_rows / memrepo (mean)", ">= 1.15", r, r is not None and r >= 1.15))
    for other in ("databases", "sqlspec"):
        r = ratio(other, "memrepo")
        out.append(_check(f"{other} / memrepo (mean)", "> 1.0", r, r is not None and r > 1.0))
    return out


def retain_targets(rates: Mapping[str, Mapping[str, float | None]]) -> list[TargetCheck]:
    def ratio(a: str, b: str, key: str) -> float | None:
        x, y = rates.get(a, {}).get(key), rates.get(b, {}).get(key)
        return None if not x or not y else x / y

    key = "rows_per_s_deferred_index"
    r1 = ratio("memrepo", "copy", key)
    r2 = ratio("memrepo", "executemany", key)
    return [
        _check(
            "retain memrepo / copy (deferred index)", ">= 0.8", r1, r1 is not None and r1 >= 0.8
        ),
        _check(
            "retain memrepo / executemany (deferred index)",
            ">= 1.3",
            r2,
            r2 is not None and r2 >= 1.3,
        ),
    ]


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


def plot(path: Path, latencies: Mapping[str, Sequence[float]], title: str) -> str | None:
    """A PNG: latency distributions (box plot) and their cumulative distributions.

    Returns None when written, else why not (matplotlib missing).
    """
    matplotlib, why = optional_import("matplotlib")
    if matplotlib is None:
        return why
    matplotlib.use("Agg")
    plt: Any = optional_import("matplotlib.pyplot")[0]
    names = [n for n, v in latencies.items() if v]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5.5))
    data = [[x * 1000 for x in latencies[n]] for n in names]
    ax1.boxplot(data, showfliers=True, whis=(5, 95))
    ax1.set_xticks(range(1, len(names) + 1), names, rotation=20)
    ax1.set_ylabel("recall latency (ms)")
    ax1.set_title("distribution (whiskers p5-p95)")
    for name, values in zip(names, data, strict=True):
        xs = sorted(values)
        ys = [(i + 1) / len(xs) for i in range(len(xs))]
        ax2.plot(xs, ys, label=name, drawstyle="steps-post")
    ax2.set_xlabel("recall latency (ms)")
    ax2.set_ylabel("fraction of recalls")
    ax2.set_title("cumulative distribution")
    ax2.grid(alpha=0.3)
    ax2.legend()
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None
