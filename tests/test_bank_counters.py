"""`banks.stats` reads counters kept by the database in the transaction of every write:
after a randomized mix of every kind of write (and folds), and after concurrent writers
and folders on one bank, the figures equal what the tables hold, counted here in Python
from their rows; the statement reads no counted table (EXPLAIN)."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa

from repo.errors import ConflictError, DeadlockError
from repo.models import ChunkIn, LinkIn, MemoryIn, OperationIn
from repo.repositories.bank_stats import FOLD_THRESHOLD, STATS, BankStats
from repo.sql import Statement
from repo.store import Store
from schema.tables import (
    FACT_TYPES,
    LINK_TYPES,
    async_operations,
    bank_stat_deltas,
    documents,
    entities,
    memory_links,
    memory_units,
)
from tests.helpers import embedding, unit

pytestmark = pytest.mark.integration


def _column(table: sa.Table, column: str) -> Statement:
    stmt = sa.select(table.c[column]).where(table.c.bank_id == sa.bindparam("bank_id"))
    return Statement(f"test.truth.{table.name}.{column}", stmt, register=False)


TRUTH = {
    "units": _column(memory_units, "fact_type"),
    "links": _column(memory_links, "link_type"),
    "entities": _column(entities, "id"),
    "documents": _column(documents, "document_id"),
    "operations": _column(async_operations, "status"),
}
COUNTER_ROWS = _column(bank_stat_deltas, "id")


async def truth(store: Store, bank: str) -> dict[str, Any]:
    """The bank's figures, counted in Python from the rows of the counted tables."""
    rows = {k: [r[0] for r in await store.backend.fetch(s, {"bank_id": bank})]
            for k, s in TRUTH.items()}  # fmt: skip
    units, links, ops = Counter(rows["units"]), Counter(rows["links"]), Counter(rows["operations"])
    return {
        "units": {ft: units[ft] for ft in FACT_TYPES},
        "links": {lt: links[lt] for lt in LINK_TYPES},
        "entities": len(rows["entities"]),
        "documents": len(rows["documents"]),
        "pending": ops["pending"],
        "waiting": ops["waiting"],
        "failed": ops["failed"],
    }


def figures(stats: BankStats) -> dict[str, Any]:
    return {
        "units": stats.units, "links": stats.links, "entities": stats.entities,
        "documents": stats.documents, "pending": stats.pending_operations,
        "waiting": stats.waiting_operations, "failed": stats.failed_operations,
    }  # fmt: skip


async def _check(store: Store, bank: str) -> None:
    assert figures(await store.banks.stats(bank)) == await truth(store, bank)


def _units(rng: random.Random, n: int, *, chunk: str | None = None) -> list[MemoryIn]:
    names = [f"entity {i}" for i in range(12)]
    return [
        unit(rng.randrange(10**6), id=uuid.uuid4(), chunk_id=chunk,
             fact_type=rng.choice(FACT_TYPES),
             entities=rng.sample(names, rng.randrange(0, 4)))
        for _ in range(n)
    ]  # fmt: skip


async def test_counters_stay_true_through_a_random_mix_of_writes(fresh_store: Store) -> None:
    store, rng = fresh_store, random.Random(12)
    bank, other = "counted", "neighbour"
    for b in (bank, other):
        await store.banks.create(b)
    await store.memories.retain(other, _units(rng, 5))  # another bank's rows count apart
    ids: list[uuid.UUID] = []
    docs: set[str] = set()

    async def retain() -> None:
        batch = _units(rng, rng.randrange(1, 8))
        new = [u.id for u in batch if u.id]
        pool = ids + new
        links = [LinkIn(rng.choice(new), rng.choice(pool), rng.choice(LINK_TYPES), 0.5)
                 for _ in range(rng.randrange(0, 6))]  # fmt: skip
        ids.extend(await store.memories.retain(bank, batch, links))

    async def add_links() -> None:  # existing links stay: insert-if-absent adds only new ones
        if len(ids) > 1:
            links = [LinkIn(rng.choice(ids), rng.choice(ids), rng.choice(LINK_TYPES), 0.1)
                     for _ in range(rng.randrange(1, 8))]  # fmt: skip
            await store.memories.add_links(bank, links)

    async def delete_units() -> None:  # links, mentions and orphan entities go with them
        if ids:
            gone = rng.sample(ids, min(len(ids), rng.randrange(1, 4)))
            await store.memories.delete(bank, gone)
            ids[:] = [i for i in ids if i not in gone]

    async def delete_link() -> None:
        out = await store.links.outgoing(bank, ids) if ids else []
        if out:
            r = rng.choice(out)
            await store.links.delete(bank, r["from_unit_id"], r["to_unit_id"], r["link_type"])

    async def reingest() -> None:
        doc = f"doc{rng.randrange(3)}"
        chunks = [ChunkIn(f"{doc}-c{i}", f"text {rng.randrange(3)}") for i in range(3)]
        units = [u for c in chunks for u in _units(rng, 2, chunk=c.chunk_id)]
        result = await store.documents.reingest(
            bank, doc, f"v{rng.randrange(10**6)}", chunks=chunks, units=units
        )
        ids[:] = [i for i in ids if i not in set(result.removed_unit_ids)] + result.unit_ids
        docs.add(doc)

    async def delete_document() -> None:
        if docs:
            doc = rng.choice(sorted(docs))
            await store.documents.delete(bank, doc)
            docs.discard(doc)
            live = {r["id"] for r in await store.memories.get(bank, ids)} if ids else set()
            ids[:] = [i for i in ids if i in live]

    async def observe() -> None:
        if ids:
            sources = rng.sample(ids, min(2, len(ids)))
            ids.append(await store.observations.create(bank, "obs", embedding(1), sources))

    async def drop_unsupported() -> None:
        await store.observations.delete_unsupported(bank)
        live = {r["id"] for r in await store.memories.get(bank, ids)} if ids else set()
        ids[:] = [i for i in ids if i in live]

    async def curate() -> None:  # invalidated units are still stored units
        if ids:
            picked = rng.sample(ids, 1)
            await (store.memories.invalidate if rng.random() < 0.5 else store.memories.restore)(
                bank, picked
            )

    async def queue() -> None:
        await store.operations.submit(
            bank, OperationIn("op", children=[OperationIn("child")] * rng.randrange(0, 2))
        )
        for row in await store.operations.claim("w", rng.randrange(1, 3)):
            if rng.random() < 0.5:
                await store.operations.complete(
                    row["bank_id"], row["id"], "w", attempt=row["attempts"]
                )
            else:
                retry = rng.random() < 0.5
                await store.operations.fail(
                    row["bank_id"], row["id"], "w", "boom", attempt=row["attempts"], retry=retry
                )

    async def fold() -> None:
        await store.banks.fold_stats(bank)

    steps = [retain] * 4 + [add_links, delete_units, delete_link, reingest, delete_document,
                            observe, drop_unsupported, curate, queue, queue, fold]  # fmt: skip
    for i in range(120):
        await rng.choice(steps)()
        if i % 10 == 9:
            await _check(store, bank)
    await _check(store, bank)
    await _check(store, other)
    expected = await truth(store, bank)
    assert sum(expected["units"].values()) > 0 and sum(expected["links"].values()) > 0
    assert expected["entities"] and expected["documents"] and expected["pending"]

    rows_before = len(await store.backend.fetch(COUNTER_ROWS, {"bank_id": bank}))
    assert await store.banks.fold_stats(bank) == rows_before
    assert len(await store.backend.fetch(COUNTER_ROWS, {"bank_id": bank})) <= 16
    await _check(store, bank)
    assert await store.banks.delete(bank)
    assert await store.backend.fetch(COUNTER_ROWS, {"bank_id": bank}) == []
    await _check(store, other)


async def test_waiting_parents_have_their_own_figure(fresh_store: Store) -> None:
    """A parent submitted with children is `waiting` (never claimed): `banks.stats` shows it
    as `waiting_operations`, neither pending nor failed, through its whole life (children
    claimed, one completed, one failed for good, which fails the parent; a second tree
    completed), each figure equal to the statuses of the bank's rows (before: no figure
    held a waiting parent)."""
    store = fresh_store
    bank = "waiting"
    await store.banks.create(bank)

    async def check(waiting: int, pending: int, failed: int) -> None:
        stats = await store.banks.stats(bank)
        assert figures(stats) == await truth(store, bank)
        got = (stats.waiting_operations, stats.pending_operations, stats.failed_operations)
        assert got == (waiting, pending, failed)

    first = await store.operations.submit(bank, OperationIn("p", children=[OperationIn("c")] * 2))
    await check(waiting=1, pending=2, failed=0)
    second = await store.operations.submit(bank, OperationIn("p", children=[OperationIn("c")]))
    await check(waiting=2, pending=3, failed=0)
    rows = {r["id"]: r for r in await store.operations.claim("w", 10)}
    assert set(rows) == {*first[1:], *second[1:]}  # the parents wait
    await check(waiting=2, pending=0, failed=0)
    done, doomed = first[1:]
    await store.operations.complete(bank, done, "w", attempt=rows[done]["attempts"])
    await check(waiting=2, pending=0, failed=0)
    await store.operations.fail(bank, doomed, "w", "x", attempt=1, retry=False)
    await check(waiting=1, pending=0, failed=2)  # the child and its parent
    await store.operations.complete(bank, second[1], "w", attempt=1)
    await check(waiting=0, pending=0, failed=2)
    await store.banks.fold_stats(bank)
    await check(waiting=0, pending=0, failed=2)


async def test_stats_fold_the_counters_past_the_threshold(store: Store, bank: str) -> None:
    for i in range(FOLD_THRESHOLD + 5):  # one retain, one statement: one counter row each
        await store.memories.retain(bank, [unit(i, fact_type="world")])
    assert len(await store.backend.fetch(COUNTER_ROWS, {"bank_id": bank})) > FOLD_THRESHOLD
    stats = await store.banks.stats(bank)
    assert stats.units["world"] == FOLD_THRESHOLD + 5
    assert len(await store.backend.fetch(COUNTER_ROWS, {"bank_id": bank})) <= 2
    assert figures(await store.banks.stats(bank)) == await truth(store, bank)


@pytest.mark.reliability
async def test_concurrent_writers_and_folds_of_one_bank_keep_counters_exact(
    fresh_store: Store,
) -> None:
    """Six writers (retains with shared entities linking to each other's units, links
    added, deletes) and two folders on one bank at once: no deadlock, no lost or doubled
    count."""
    store, bank = fresh_store, "busy"
    await store.banks.create(bank)
    shared: list[uuid.UUID] = []

    async def writer(seed: int) -> None:
        rng = random.Random(seed)
        mine: list[uuid.UUID] = []
        for _ in range(15):
            choice = rng.random()
            for attempt in range(5):
                try:
                    if choice < 0.55 or not mine:
                        batch = _units(rng, rng.randrange(1, 5))
                        new = [u.id for u in batch if u.id]
                        targets = new + shared[-20:]
                        links = [LinkIn(rng.choice(new), rng.choice(targets),
                                        rng.choice(LINK_TYPES), 0.5) for _ in range(3)]  # fmt: skip
                        mine.extend(await store.memories.retain(bank, batch, links))
                        shared.extend(new)
                    elif choice < 0.8:
                        pool = mine + shared[-20:]
                        links = [LinkIn(rng.choice(mine), rng.choice(pool),
                                        rng.choice(LINK_TYPES), 0.2) for _ in range(4)]  # fmt: skip
                        await store.memories.add_links(bank, links)
                    else:
                        gone = rng.sample(mine, min(2, len(mine)))
                        await store.memories.delete(bank, gone)
                        mine[:] = [i for i in mine if i not in gone]
                    break
                except DeadlockError:  # retryable by contract; none expected (asserted)
                    deadlocks.append(seed)
                    await asyncio.sleep(0.01 * (attempt + 1))
                except ConflictError:  # a link to a unit another writer deleted: nothing written
                    conflicts.append(seed)
                    break

    async def folder() -> None:
        for _ in range(20):
            await store.banks.fold_stats(bank)
            await asyncio.sleep(0)

    deadlocks: list[int] = []
    conflicts: list[int] = []
    await asyncio.wait_for(
        asyncio.gather(*(writer(s) for s in range(6)), folder(), folder()), timeout=300
    )
    assert deadlocks == []
    await _check(store, bank)
    await store.banks.fold_stats(bank)
    await _check(store, bank)


async def test_stats_statement_reads_no_counted_table(store: Store, bank: str) -> None:
    if store.backend.name != "postgresql":
        pytest.skip("reads PostgreSQL's plan")
    from repo.backends.postgres import DIALECT, PostgresBackend

    await store.memories.retain(bank, [unit(i) for i in range(30)])
    assert isinstance(store.backend, PostgresBackend)
    compiled = STATS.compiled(DIALECT)
    async with store.backend.pool.acquire() as conn:
        rows = await conn.fetch("EXPLAIN " + compiled.sql, *compiled.args({"bank_id": bank}))
    plan = "\n".join(r[0] for r in rows)
    scanned = {t for t in ("memory_units", "memory_links", "entities", "documents",
                           "async_operations", "unit_entities") if f" on {t} " in plan}  # fmt: skip
    assert scanned == set(), plan
    assert " on bank_stat_deltas " in plan and " on banks " in plan, plan
