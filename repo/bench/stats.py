"""`python -m repo.bench.stats`: how `banks.stats` scales with the bank's size.

Fills one bank to each size in turn and times `banks.stats` (median of repeated calls)
at each size, beside the statement `stats` ran before revision 0010 (scalar subqueries
counting the bank's rows of every table: `counting` in the output), on the embedded
PostgreSQL (`$MEMREPO_EMBEDDED_DIR`) or `--url`.

- `--fill library` (default): units with entities and links, retained in batches through
  the library (the HNSW index is dropped first: `stats` reads no vector);
- `--fill sql`: units (one shared embedding) and a link per unit written by one
  `INSERT ... SELECT generate_series` per size step, for sizes the library would take
  hours to load (1,000,000). The counters are kept by the same triggers either way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from repo.backends.postgres import DIALECT
from repo.bench.bank import drop_hnsw
from repo.bench.data import BankSpec, SyntheticBank
from repo.repositories.bank_stats import STATS
from repo.store import Store, open_store
from repo.urls import asyncpg_url
from schema.tables import FACT_TYPES, LINK_TYPES

#: What `banks.stats` ran before revision 0010: every figure counted from the tables.
COUNTING = (
    "SELECT "
    + ", ".join(
        [f"(SELECT count(*) FROM memory_units WHERE bank_id = $1 AND fact_type = '{ft}')"
         for ft in FACT_TYPES]
        + [f"(SELECT count(*) FROM memory_links WHERE bank_id = $1 AND link_type = '{lt}')"
           for lt in LINK_TYPES]
        + ["(SELECT count(*) FROM entities WHERE bank_id = $1)",
           "(SELECT count(*) FROM documents WHERE bank_id = $1)",
           "(SELECT count(*) FROM async_operations WHERE bank_id = $1 AND status = 'pending')",
           "(SELECT count(*) FROM async_operations WHERE bank_id = $1 AND status = 'failed')",
           "(SELECT max(created_at) FROM memory_units WHERE bank_id = $1)",
           "(SELECT max(updated_at) FROM documents WHERE bank_id = $1)"]
    )
)  # fmt: skip

#: Units `$2 + 1 .. $3` of bank `$1` (fact types in turn), one embedding for all.
SQL_UNITS = (
    "INSERT INTO memory_units (id, bank_id, text, embedding, fact_type, tags, proof_count,"
    " created_at, updated_at) SELECT gen_random_uuid(), $1::varchar, 'unit ' || i,"
    " (SELECT embedding FROM memory_units WHERE bank_id = $1::varchar LIMIT 1),"
    " (ARRAY['world', 'experience', 'observation'])[1 + i % 3], '{}', 1, now(), now()"
    " FROM generate_series($2::int + 1, $3::int) AS i"
)
#: A temporal link from every unit without one to another unit of the bank.
SQL_LINKS = (
    "INSERT INTO memory_links (from_unit_id, to_unit_id, link_type, bank_id, weight,"
    " created_at) SELECT u.id, (SELECT id FROM memory_units WHERE bank_id = $1::varchar"
    " LIMIT 1), 'temporal', $1::varchar, 0.5, now() FROM memory_units u"
    " WHERE u.bank_id = $1::varchar AND NOT EXISTS (SELECT 1 FROM memory_links l"
    " WHERE l.bank_id = $1::varchar AND l.from_unit_id = u.id) ON CONFLICT DO NOTHING"
)


async def _server_ms(
    conn: asyncpg.Connection, sql: str, args: Sequence[Any], repeats: int
) -> float:
    """Median `Execution Time` of EXPLAIN ANALYZE: the server's own time for the statement,
    which the client's scheduling on a loaded machine does not blur."""
    times = []
    for _ in range(repeats):
        rows = await conn.fetch(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", *args)
        plan = rows[0][0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        times.append(float(plan[0]["Execution Time"]))
    return statistics.median(times)


async def _median(call: Callable[[], Awaitable[Any]], repeats: int) -> float:
    await call()  # warm
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        await call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def _fill_library(store: Store, bank: str, data: SyntheticBank, written: int,
                        size: int) -> int:  # fmt: skip
    for units, links in data.batches(2000, written):
        if written >= size:
            break
        await store.memories.retain(bank, units, links)
        written += len(units)
    return written


@dataclass(frozen=True)
class Point:
    """One size: wall-clock medians (seconds, through the client) and the server's
    execution-time medians (milliseconds) of `banks.stats` and the counting statement."""

    size: int
    stats_s: float
    counting_s: float
    stats_server_ms: float
    counting_server_ms: float


async def measure(
    url: str | None, sizes: Sequence[int], repeats: int, fill: str = "library"
) -> list[Point]:
    """One `Point` per size."""
    schema = f"bench_stats_{uuid.uuid4().hex[:8]}"
    out: list[Point] = []
    compiled = STATS.compiled(DIALECT)
    async with open_store(url, schema=schema) as store:
        conn = await asyncpg.connect(asyncpg_url(store.url))
        try:
            await drop_hnsw(conn, schema)
            await conn.execute(f'SET search_path TO "{schema}", public')
            bank = "stats"
            await store.banks.create(bank)
            data = SyntheticBank(BankSpec(items=max(sizes)))
            written = 0
            try:  # the schema goes whole afterwards (no bank delete of a million rows)
                for size in sorted(sizes):
                    if fill == "sql":
                        if written == 0:  # one unit through the library: the embedding
                            written = await _fill_library(store, bank, data, 0, 1)
                        await conn.execute(SQL_UNITS, bank, written, size)
                        await conn.execute(SQL_LINKS, bank)
                        await conn.execute("ANALYZE")
                        written = size
                    else:
                        written = await _fill_library(store, bank, data, written, size)
                    stats = await _median(lambda: store.banks.stats(bank), repeats)
                    counting = await _median(lambda: conn.fetchrow(COUNTING, bank), repeats)
                    args = compiled.args({"bank_id": bank})
                    out.append(Point(
                        size, stats, counting,
                        await _server_ms(conn, compiled.sql, args, repeats),
                        await _server_ms(conn, COUNTING, [bank], repeats),
                    ))  # fmt: skip
            finally:
                await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        finally:
            await conn.close()
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m repo.bench.stats")
    p.add_argument("--url", help="an existing PostgreSQL (default: the embedded server)")
    p.add_argument("--sizes", default="10000,100000", help="bank sizes, comma-separated")
    p.add_argument("--repeats", type=int, default=21)
    p.add_argument("--fill", choices=("library", "sql"), default="library")
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    for pt in asyncio.run(measure(args.url, sizes, args.repeats, args.fill)):
        print(
            f"banks.stats at {pt.size:>8} units: median {pt.stats_s * 1000:.2f} ms"
            f" (server {pt.stats_server_ms:.3f} ms); counting statement:"
            f" {pt.counting_s * 1000:.2f} ms (server {pt.counting_server_ms:.3f} ms)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
