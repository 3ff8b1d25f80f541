"""The benchmark's filtered workloads: one `RecallFilter` per name, applied by every
variant (memrepo's `RecallQuery(where=...)`, the raw drivers through the same compiled
statements) and by the brute-force truth of recall@k.

The synthetic bank gives each unit 1 to 3 of 20 tags and spreads event dates evenly over
one year from `T0`, at any size, so the selectivities hold at every bank size (the run
reports the measured share):

- `tags_1pct`: units holding both `tag00` and `tag01` (~0.7%);
- `tags_30pct`: units holding any of `tag00`, `tag01`, `tag02` (~28%);
- `tags_1pct_untagged`: `tags_1pct` with `untagged="include"` (the bank has no untagged
  units, so the same units; the SQL is the OR with "no tags");
- `window_10pct`: event dates in a 36.5-day window mid-year (10%).

The temporal workload's window (`TEMPORAL_WINDOW`, 18.25 days from day 146: ~5% of the
units by event date, mention or occurred range) is the temporal arm's, not a filter.
"""

from __future__ import annotations

from datetime import timedelta

from repo.bench.data import T0
from repo.models import RecallFilter, TimeWindow

UNFILTERED = "none"
BENCH_FILTERS: dict[str, RecallFilter | None] = {
    UNFILTERED: None,
    "tags_1pct": RecallFilter(tags=["tag00", "tag01"], tags_match="all", untagged="exclude"),
    "tags_1pct_untagged": RecallFilter(
        tags=["tag00", "tag01"], tags_match="all", untagged="include"
    ),
    "tags_30pct": RecallFilter(tags=["tag00", "tag01", "tag02"], untagged="exclude"),
    "window_10pct": RecallFilter(
        event_date=TimeWindow(T0 + timedelta(days=146), T0 + timedelta(days=182.5))
    ),
}
FILTERED = tuple(name for name in BENCH_FILTERS if name != UNFILTERED)
#: The temporal workload's window: ~5% of the bank.
TEMPORAL_WINDOW = (T0 + timedelta(days=146), T0 + timedelta(days=164.25))


def workload_key(where: str) -> str:
    """The result document's key of the combined recall under filter `where`."""
    return "recall" if where == UNFILTERED else f"filtered:{where}"


async def selectivity(url: str, schema: str, bank_id: str, where: str) -> float:
    """The share of the bank's units that pass filter `where`."""
    from repo.models import MemoryFilter
    from repo.store import open_store

    async with open_store(url, schema=schema, run_migrations=False, max_size=1) as store:
        total = await store.memories.count(bank_id)
        page = await store.memories.list(
            bank_id, MemoryFilter(where=BENCH_FILTERS[where]), limit=1, with_total=True
        )
    return page.total / total if total else 0.0
