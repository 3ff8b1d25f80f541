"""`python -m repo.bench.stats`: how `banks.stats` scales with the bank's size.

Fills one bank to each size in turn (units with entities and links, retained in
batches; the HNSW index is dropped first, `stats` reads no vector) and times
`banks.stats` (median of repeated calls) at each size, on the embedded PostgreSQL
(`$MEMREPO_EMBEDDED_DIR`) or `--url`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Sequence

import asyncpg

from repo.bench.bank import drop_hnsw
from repo.bench.data import BankSpec, SyntheticBank
from repo.store import open_store
from repo.urls import asyncpg_url


async def measure(url: str | None, sizes: Sequence[int], repeats: int) -> list[tuple[int, float]]:
    schema = f"bench_stats_{uuid.uuid4().hex[:8]}"
    out: list[tuple[int, float]] = []
    async with open_store(url, schema=schema) as store:
        # `stats` reads no vector: without the HNSW index the bank loads many times faster.
        conn = await asyncpg.connect(asyncpg_url(store.url))
        try:
            await drop_hnsw(conn, schema)
        finally:
            await conn.close()
        bank = "stats"
        await store.banks.create(bank)
        data = SyntheticBank(BankSpec(items=max(sizes)))
        written = 0
        try:
            for size in sorted(sizes):
                for units, links in data.batches(2000, written):
                    if written >= size:
                        break
                    await store.memories.retain(bank, units, links)
                    written += len(units)
                await store.banks.stats(bank)  # warm
                times = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    await store.banks.stats(bank)
                    times.append(time.perf_counter() - start)
                out.append((size, statistics.median(times)))
        finally:
            await store.banks.delete(bank)
            conn = await asyncpg.connect(asyncpg_url(store.url))
            try:
                await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
            finally:
                await conn.close()
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m repo.bench.stats")
    p.add_argument("--url", help="an existing PostgreSQL (default: the embedded server)")
    p.add_argument("--sizes", default="10000,100000", help="bank sizes, comma-separated")
    p.add_argument("--repeats", type=int, default=21)
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    for size, seconds in asyncio.run(measure(args.url, sizes, args.repeats)):
        print(f"banks.stats at {size:>8} units: median {seconds * 1000:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
