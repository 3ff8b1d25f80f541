"""ANN quality: recall@k of the semantic arms' HNSW path against a numpy brute-force search.

    python -m repo.bench.ann --items 10000 --ef 40,64,100,200 --queries 200
    python -m repo.bench.ann --items 100000 --ef 40,100,200 --delete-fraction 0.5

The bank holds `repo.bench.sentences` units (real sentences, lexical neighbourhoods), fact
types in the benchmark's proportions (world 50%, experience 30%, observation 20%). Each
query paraphrases a unit; each of its three semantic arms (`recall.semantic`, k rows of one
fact type) is compared with the exact top k of that fact type computed in numpy. For each
`ef_search` a store is opened with it as the store's knob (no extra round trip), and the
plan of the arm is checked to be the vector index's. Reported per `ef_search`: mean and
worst recall@k over every (query, fact type), the 5th percentile, and the median latency
of one arm.

`--delete-fraction f` then deletes that share of the units (autovacuum off for the table,
so the dead rows stay), measures again, runs `store.maintain(tables=["memory_units"])`
(VACUUM (ANALYZE)), measures again, and restores autovacuum.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import numpy as np
import numpy.typing as npt

from repo.backends.postgres import DIALECT, PostgresBackend
from repo.bench.data import BankSpec, SyntheticBank
from repo.bench.sentences import SentenceBank, corpus_key
from repo.migrations import migrate
from repo.models import MemoryIn, VectorSearch
from repo.repositories.recall import SEMANTIC
from repo.store import Store, open_store
from schema.tables import FACT_TYPES

BANK = "ann"
LOAD_BATCH = 2000


@dataclass
class AnnBank:
    """The loaded units: ids, fact types and unit-norm embeddings, in load order."""

    ids: list[uuid.UUID]
    fact_types: npt.NDArray[np.str_]
    vectors: npt.NDArray[np.float32]
    alive: npt.NDArray[np.bool_]


def _ids(items: int, seed: int) -> list[uuid.UUID]:
    ns = uuid.UUID(int=seed)
    return [uuid.uuid5(ns, str(i)) for i in range(items)]


async def _hnsw_indexes(conn: Any, schema: str) -> list[tuple[str, str]]:
    rows = await conn.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1"
        " AND indexdef ILIKE '% USING hnsw %' ORDER BY indexname",
        schema,
    )
    return [(r[0], r[1]) for r in rows]


async def load(url: str, schema: str, items: int, seed: int) -> AnnBank:
    """The bank of `items` sentence units in `schema` (loaded once, reused after)."""
    sentences = SentenceBank(items, seed=seed)
    vectors = sentences.all_embeddings()
    synthetic = SyntheticBank(BankSpec(items=max(items, 8), seed=seed))
    fact_types = np.array([synthetic.fact_type(i) for i in range(items)])
    ids = _ids(items, seed)
    await migrate(url, schema=schema)
    async with open_store(url, schema=schema, run_migrations=False) as store:
        if await store.memories.count(BANK) == items:
            return AnnBank(ids, fact_types, vectors, np.ones(items, dtype=bool))
        await store.banks.delete(BANK)
        await store.banks.create(BANK)
        assert isinstance(store.backend, PostgresBackend)
        async with store.backend.pool.acquire() as conn:
            indexes = await _hnsw_indexes(conn, schema)
            for name, _ in indexes:
                await conn.execute(f'DROP INDEX "{schema}"."{name}"')
        started = time.perf_counter()
        for lo in range(0, items, LOAD_BATCH):
            hi = min(lo + LOAD_BATCH, items)
            await store.memories.retain(
                BANK,
                [
                    MemoryIn(
                        id=ids[i],
                        text=sentences.text(i),
                        embedding=vectors[i],
                        fact_type=str(fact_types[i]),
                    )
                    for i in range(lo, hi)
                ],
            )
            print(f"  loaded {hi}/{items} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
        async with store.backend.pool.acquire() as conn:
            await conn.execute("SET maintenance_work_mem = '1GB'")
            for _, definition in indexes:
                await conn.execute(definition)
        await store.maintain(tables=["memory_units"])
    return AnnBank(ids, fact_types, vectors, np.ones(items, dtype=bool))


async def rebuild_indexes(url: str, schema: str, options: str) -> float:
    """Rebuild the HNSW indexes with other build options (`m = 16, ef_construction = 128`):
    same names and predicates; the seconds the builds took."""
    if not all(part.strip().replace("=", " ").split()[0] in ("m", "ef_construction")
               for part in options.split(",")):  # fmt: skip
        raise SystemExit(f"--index-with takes m and ef_construction, not {options!r}")
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SET maintenance_work_mem = '1GB'")
        started = time.perf_counter()
        for name, definition in await _hnsw_indexes(conn, schema):
            head, _, tail = definition.partition(" WITH (")
            predicate = tail.partition(")")[2]
            await conn.execute(f'DROP INDEX "{schema}"."{name}"')
            await conn.execute(f"{head} WITH ({options}){predicate}")
        return time.perf_counter() - started
    finally:
        await conn.close()


#: Two similarities this close are a tie (float32 rounding of the same distance): the
#: corpus holds repeated sentences, so the k-th and (k+1)-th nearest can be equal.
TIE = 1e-6


@dataclass(frozen=True)
class Truth:
    """The exact top k of one fact type, and every unit as near as the k-th (its ties)."""

    top: set[uuid.UUID]
    as_near: set[uuid.UUID]


def truth(bank: AnnBank, query: npt.NDArray[np.float32], fact_type: str, k: int) -> Truth:
    sims = bank.vectors @ query
    sims[~(bank.alive & (bank.fact_types == fact_type))] = -np.inf
    top = np.argpartition(-sims, k)[:k]
    kth = float(sims[top].min())
    as_near = np.flatnonzero(sims >= kth - TIE)
    return Truth({bank.ids[i] for i in top}, {bank.ids[i] for i in as_near})


async def explain(store: Store, query: list[float], fact_type: str, k: int) -> str:
    assert isinstance(store.backend, PostgresBackend)
    c = SEMANTIC.shape(fact_type=fact_type).compiled(DIALECT)
    args = c.args({"bank_id": BANK, "embedding": query, "k": k})
    async with store.backend.pool.acquire() as conn:
        rows = await conn.fetch("EXPLAIN " + c.sql, *args)
    return "\n".join(r[0] for r in rows)


async def measure(
    url: str, schema: str, bank: AnnBank, queries: list[npt.NDArray[np.float32]], ef: int, k: int
) -> dict[str, Any]:
    """recall@k of every semantic arm for every query with the store's ef_search = ef."""
    recalls: list[float] = []
    tie_aware: list[float] = []
    latencies: list[float] = []
    low: list[dict[str, Any]] = []
    truths = [{ft: truth(bank, q, ft, k) for ft in FACT_TYPES} for q in queries]
    knobs = VectorSearch(ef_search=ef)
    async with open_store(url, schema=schema, run_migrations=False, vector_search=knobs) as store:
        plans = {ft: await explain(store, queries[0].tolist(), ft, k) for ft in FACT_TYPES}
        for n, (q, want) in enumerate(zip(queries, truths, strict=True)):
            qv = q.tolist()
            for ft in FACT_TYPES:
                t0 = time.perf_counter()
                rows = await store.recall.semantic(BANK, qv, fact_type=ft, k=k)
                latencies.append(time.perf_counter() - t0)
                got = {r["id"] for r in rows}
                recalls.append(len(got & want[ft].top) / max(1, len(want[ft].top)))
                tie_aware.append(min(1.0, len(got & want[ft].as_near) / max(1, len(want[ft].top))))
                if recalls[-1] < 0.8:
                    ties = len(want[ft].as_near)
                    low.append(
                        {"query": n, "fact_type": ft, "recall": recalls[-1], "ties": ties}
                        | {"tie_aware": tie_aware[-1]}
                    )
    index_plans = {ft: "hnsw" in p.lower() or "embedding_hnsw" in p for ft, p in plans.items()}
    return {
        "ef_search": ef,
        "mean": statistics.fmean(recalls),
        "worst": min(recalls),
        "p5": float(np.percentile(recalls, 5)),
        "below_0.8": sum(r < 0.8 for r in recalls),
        # A row as near as the k-th nearest counts (ties of repeated sentences).
        "tie_aware_mean": statistics.fmean(tie_aware),
        "tie_aware_worst": min(tie_aware),
        "tie_aware_below_0.8": sum(r < 0.8 for r in tie_aware),
        "searches": len(recalls),
        "median_ms": statistics.median(latencies) * 1000,
        "index_used": index_plans,
        "below_0.8_searches": low,
        "plans": {ft: p.splitlines()[:6] for ft, p in plans.items()},
    }


def _print(label: str, row: dict[str, Any]) -> None:
    print(
        f"{label:>14} ef_search {row['ef_search']:>4}: mean {row['mean']:.4f}"
        f" worst {row['worst']:.2f} p5 {row['p5']:.2f} (<0.8: {row['below_0.8']}"
        f"/{row['searches']}) median {row['median_ms']:.2f} ms"
        f" index {all(row['index_used'].values())}; with ties: mean {row['tie_aware_mean']:.4f}"
        f" worst {row['tie_aware_worst']:.2f} (<0.8: {row['tie_aware_below_0.8']})",
        flush=True,
    )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.url:
        url = args.url
    else:
        from repo.embedded import embedded_url

        url = embedded_url()
    schema = f"annq_n{args.items}_s{args.seed}_{corpus_key()}"
    bank = await load(url, schema, args.items, args.seed)
    if args.index_with:
        out_build = await rebuild_indexes(url, schema, args.index_with)
        print(f"indexes rebuilt WITH ({args.index_with}) in {out_build:.1f} s", flush=True)
    sentences = SentenceBank(args.items, seed=args.seed)
    queries = [sentences.query(10_000 + j)[2] for j in range(args.queries)]
    efs = [int(x) for x in args.ef.split(",")]
    out: dict[str, Any] = {"items": args.items, "k": args.k, "queries": args.queries}
    out["fresh"] = []
    for ef in efs:
        row = await measure(url, schema, bank, queries, ef, args.k)
        _print("fresh", row)
        out["fresh"].append(row)
    if args.delete_fraction:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(
                f'ALTER TABLE "{schema}".memory_units SET (autovacuum_enabled = off)'
            )
            rng = np.random.Generator(np.random.PCG64(args.seed))
            doomed = np.flatnonzero(rng.random(args.items) < args.delete_fraction)
            async with open_store(url, schema=schema, run_migrations=False) as store:
                for lo in range(0, len(doomed), 1000):
                    await store.memories.delete(BANK, [bank.ids[i] for i in doomed[lo : lo + 1000]])
                bank.alive[doomed] = False
                for phase in ("dead rows", "after maintain"):
                    if phase == "after maintain":
                        report = await store.maintain(tables=["memory_units"])
                        out["maintain_s"] = report.seconds
                    out[phase] = []
                    for ef in efs:
                        row = await measure(url, schema, bank, queries, ef, args.k)
                        _print(phase, row)
                        out[phase].append(row)
        finally:
            await conn.execute(f'ALTER TABLE "{schema}".memory_units RESET (autovacuum_enabled)')
            await conn.close()
            # The bank no longer matches its size: the next run reloads it.
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m repo.bench.ann", description=__doc__)
    p.add_argument("--url", help="PostgreSQL URL (default: the embedded server)")
    p.add_argument("--items", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--ef", default="40,64,100,200", help="ef_search values (comma-separated)")
    p.add_argument("--delete-fraction", type=float, default=0.0)
    p.add_argument(
        "--index-with",
        help="rebuild the HNSW indexes with these options first, e.g. 'm = 32, ef_construction"
        " = 128' (the migrations' are m = 24, ef_construction = 128)",
    )
    p.add_argument("--json", help="write the results here")
    args = p.parse_args(argv)
    out = asyncio.run(run(args))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
