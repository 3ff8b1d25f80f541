"""Concurrent writers of one bank: per-document serialisation of re-ingests, one canonical
lock order for links, and bank deletion that waits for the bank's writers instead of
deadlocking with them."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import sqlalchemy as sa

from repo.errors import ConflictError, DeadlockError
from repo.models import LinkIn
from repo.repositories.documents import DocumentRepository, IngestResult
from repo.sql import Statement
from repo.store import Store
from tests.helpers import embedding, new_id, unit
from tests.inspection import SpyBackend, bank_row_counts

pytestmark = [pytest.mark.integration, pytest.mark.reliability]


async def test_concurrent_first_ingests_of_a_document_are_serialised(store: Store) -> None:
    bank = f"ingest-{new_id()}"
    await store.banks.create(bank)
    for trial in range(10):
        doc = f"doc-{trial}"
        calls = [
            store.documents.reingest(
                bank,
                doc,
                f"content {side} of trial {trial}",
                units=[unit(100 * trial + 10 * side + i, text=f"{side}-{i}") for i in range(5)],
            )
            for side in (0, 1)
        ]
        results = await asyncio.gather(*calls)
        assert sorted((r.status, r.version) for r in results) == [("created", 1), ("updated", 2)]
        first, second = sorted(results, key=lambda r: r.version)
        assert set(second.removed_unit_ids) == set(first.unit_ids)
        row = await store.documents.get(bank, doc)
        assert row["version"] == 2
        side = 0 if row["content"].startswith("content 0") else 1
        units = await store.memories.list(bank, limit=1000)
        mine = {u["id"] for u in units if u["document_id"] == doc}
        assert mine == set(second.unit_ids)
        assert {u["text"] for u in units if u["document_id"] == doc} == {
            f"{side}-{i}" for i in range(5)
        }


async def test_add_links_in_opposite_orders_all_succeed(store: Store) -> None:
    bank = f"links-{new_id()}"
    await store.banks.create(bank)
    ids = await store.memories.retain(bank, [unit(i) for i in range(41)])
    links = [LinkIn(ids[i], ids[i + 1], "semantic", 0.5) for i in range(40)]
    links += [LinkIn(ids[i + 1], ids[i], "temporal", 0.5) for i in range(40)]
    calls = [
        store.memories.add_links(bank, links if n % 2 else list(reversed(links))) for n in range(16)
    ]
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    assert [o for o in outcomes if o is not None] == []
    assert (await bank_row_counts(store, bank))["memory_links"] == 80


async def test_bank_delete_during_reingests_never_deadlocks(store: Store) -> None:
    for trial in range(6):
        bank = f"del-{new_id()}"
        await store.banks.create(bank)
        for d in range(5):  # existing documents: the re-ingests replace their units
            await store.documents.reingest(
                bank, f"d{d}", "v1", units=[unit(d * 10 + i, entities=["Ada", f"E{i}"])
                                             for i in range(4)]
            )  # fmt: skip

        async def reingest(bank: str, d: int, trial: int) -> IngestResult:
            return await store.documents.reingest(
                bank, f"d{d}", f"v2 {trial}",
                units=[unit(500 + d * 10 + i, entities=["Ada", f"F{i}"]) for i in range(4)],
            )  # fmt: skip

        tasks = [asyncio.create_task(reingest(bank, d, trial)) for d in range(5)]
        await asyncio.sleep(0)
        deleted = asyncio.create_task(store.banks.delete(bank))
        outcomes = await asyncio.gather(*tasks, deleted, return_exceptions=True)
        assert outcomes[-1] is True
        for outcome in outcomes[:-1]:  # done before the delete, or after it: bank gone
            assert isinstance(outcome, IngestResult | ConflictError), repr(outcome)
        assert set((await bank_row_counts(store, bank)).values()) == {0}


async def test_bank_delete_removes_every_row_child_first(store: Store) -> None:
    bank = f"gone-{new_id()}"
    await store.banks.create(bank)
    a, b = uuid.uuid4(), uuid.uuid4()
    await store.documents.reingest(
        bank, "d", "text", units=[unit(1, id=a, entities=["Ada"]), unit(2, id=b)],
        links=[LinkIn(a, b, "causal", 1.0)],
    )  # fmt: skip
    await store.observations.create(bank, "obs", unit(3).embedding, [a, b])
    counts = await bank_row_counts(store, bank)
    assert all(counts[t] for t in ("documents", "memory_units", "entities", "memory_links"))
    assert await store.banks.delete(bank) is True
    assert set((await bank_row_counts(store, bank)).values()) == {0}
    assert await store.banks.delete(bank) is False


RETAIN_DELETE_TRIALS = 12
SHARED_ENTITIES = [f"Entity {n}" for n in range(6)]


def _retain_linking(
    store: Store, bank: str, seed: int, side: int, doomed: list[uuid.UUID], kept: uuid.UUID
) -> Any:
    """A retain of 4 units that mention every shared entity (in an order that depends on
    `side`) and link to 3 doomed units and a kept one."""
    names = list(reversed(SHARED_ENTITIES)) if side % 2 else SHARED_ENTITIES
    new = [unit(seed + i, id=uuid.uuid4(), entities=names) for i in range(4)]
    targets = [*(doomed if side % 2 else list(reversed(doomed)))[:3], kept]
    links = [LinkIn(u.id, t, "entity", 0.5) for u in new if u.id is not None for t in targets]
    return store.memories.retain(bank, new, links)


async def test_retain_and_delete_of_shared_entities_and_linked_units_never_deadlock(
    store: Store,
) -> None:
    """Retains of units that mention shared entities and link to existing units, link
    additions between existing units, and deletes of existing units that mention the same
    entities and carry those links, all at once: every call succeeds or, where its unit
    is gone, gets a plain `ConflictError`; none deadlocks (each path locks units by id
    before any entity)."""
    deadlocks: list[BaseException] = []
    for trial in range(RETAIN_DELETE_TRIALS):
        bank = f"retain-delete-{new_id()}"
        await store.banks.create(bank)
        base = 1000 * trial
        old = await store.memories.retain(
            bank, [unit(base + i, entities=SHARED_ENTITIES[i % 3 :]) for i in range(12)]
        )
        await store.memories.add_links(
            bank, [LinkIn(old[i], old[(i + 5) % 12], "semantic", 0.5) for i in range(12)]
        )
        doomed = [old[i] for i in range(0, 12, 2)]
        kept = [old[i] for i in range(1, 12, 2)]
        calls = [
            _retain_linking(store, bank, base + 100 + 10 * side, side, doomed, kept[side])
            for side in range(4)
        ]
        calls += [
            store.memories.add_links(
                bank, [LinkIn(k, d, "causal", 0.5) for k in kept for d in reversed(doomed)]
            ),
            store.memories.delete(bank, doomed[:3]),
            store.memories.delete(bank, list(reversed(doomed[2:]))),
        ]
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, DeadlockError):
                deadlocks.append(outcome)
            elif isinstance(outcome, BaseException) and not isinstance(outcome, ConflictError):
                raise outcome
        if not any(isinstance(o, BaseException) for o in outcomes[-2:]):
            assert await store.memories.get(bank, doomed) == []  # both deletes ran
    assert deadlocks == [], f"{len(deadlocks)} deadlocks in {RETAIN_DELETE_TRIALS} trials"


STALE_TRIALS = 12


async def test_delete_stale_beside_retains_links_and_deletes_never_deadlocks(
    store: Store,
) -> None:
    """`observations.delete_stale` of the observations citing a source, at once with
    retains linking to those observations and mentioning their entities, `add_links` onto
    them (one call in each order), a second `delete_stale` and a `memories.delete` of some
    of them (12 trials): every call succeeds or gets a plain `ConflictError` (a link's
    observation is gone), none a `DeadlockError`, and the observations are gone afterwards
    (delete_stale takes the bank lock and removes them by the one unit-removal path:
    observations by id, then their links, then entities)."""
    deadlocks: list[BaseException] = []
    for trial in range(STALE_TRIALS):
        bank = f"stale-{new_id()}"
        await store.banks.create(bank)
        base = 1000 * trial
        source, *kept = await store.memories.retain(
            bank, [unit(base + i, entities=SHARED_ENTITIES[i % 3 :]) for i in range(5)]
        )
        # Observations created one by one: their ids (random) are not in insertion order.
        observations = [
            await store.observations.create(bank, f"obs {i}", embedding(base + 50 + i), [source])
            for i in range(8)
        ]
        for obs in observations:  # each with a link of its own, which goes with it
            await store.memories.add_links(bank, [LinkIn(obs, kept[0], "semantic", 0.5)])
        calls = [
            _retain_linking(store, bank, base + 100 + 10 * side, side, observations, kept[side])
            for side in range(3)
        ]
        calls += [
            store.memories.add_links(
                bank, [LinkIn(k, o, "causal", 0.5) for k in kept for o in observations]
            ),
            store.memories.add_links(
                bank, [LinkIn(o, k, "causal", 0.5) for k in kept for o in reversed(observations)]
            ),
            store.observations.delete_stale(bank, [source]),
            store.observations.delete_stale(bank, [source, kept[3]]),
            store.memories.delete(bank, observations[::3]),
        ]
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, DeadlockError):
                deadlocks.append(outcome)
            elif isinstance(outcome, BaseException) and not isinstance(outcome, ConflictError):
                raise outcome
        if not any(isinstance(o, BaseException) for o in outcomes[-3:-1]):
            assert await store.memories.get(bank, observations) == []
    assert deadlocks == [], f"{len(deadlocks)} deadlocks in {STALE_TRIALS} trials"


PG_PID = Statement(
    "test.backend_pid", sa.select(sa.func.pg_backend_pid().label("pid")), register=False
)
PG_BLOCKED_BY = Statement(
    "test.blocked_by",
    sa.select(sa.func.count().label("n"))
    .select_from(sa.table("pg_stat_activity"))
    .where(
        sa.bindparam("pid", type_=sa.Integer())
        == sa.func.any(sa.func.pg_blocking_pids(sa.literal_column("pid")))
    ),
    register=False,
)
#: The first statement of a re-ingest that locks the observation citing a removed unit:
#: before the fix its deletion, after it the lock of every unit to remove, by id.
FIRST_OBSERVATION_LOCK = {"observations.delete_by_sources.array", "memories.lock"}
POLLS = 2000


class StartsTheDeleteMidway(SpyBackend):
    """The re-ingest's backend: right after the statement that first locks the observation,
    it starts the concurrent delete and waits (bounded) until the delete is blocked by
    this transaction: the interleaving in which the two used to deadlock."""

    def __init__(self, inner: Any, delete: Callable[[], Awaitable[int]]) -> None:
        super().__init__(inner)
        self.delete = delete
        self.deleting: asyncio.Future[int] | None = None

    async def _midway(self, name: str) -> None:
        if self.deleting is not None or name not in FIRST_OBSERVATION_LOCK:
            return
        pid = await self.inner.fetchval(PG_PID, {})
        # Outside the re-ingest's transaction (an empty context): its own connection.
        self.deleting = asyncio.get_running_loop().create_task(
            self.delete(), context=contextvars.Context()
        )
        for _ in range(POLLS):
            if self.deleting.done() or await self.inner.fetchval(PG_BLOCKED_BY, {"pid": pid}):
                return
            await asyncio.sleep(0.005)
        raise AssertionError("the delete was never blocked by the re-ingest")

    async def execute(self, stmt: Any, params: Any = None) -> int:
        n = await self.inner.execute(stmt, params or {})
        await self._midway(stmt.name)
        return n

    async def fetch(self, stmt: Any, params: Any = None) -> list[Any]:
        rows = await self.inner.fetch(stmt, params or {})
        await self._midway(stmt.name)
        return rows


async def test_reingest_removing_cited_units_and_delete_never_deadlock(
    store: Store, backend_name: str
) -> None:
    """A re-ingest removes a document's units and the observation citing (and linked to)
    them while `memories.delete` removes the same units and observation, the delete
    starting right after the re-ingest first locked the observation: both end, neither
    with `DeadlockError` (the re-ingest locks the units and the observation together, by
    id, before deleting either; before, it deleted the observation, then locked the
    units the delete already held)."""
    if backend_name != "postgresql":
        pytest.skip("the interleaving is observed through pg_stat_activity")
    for trial in range(3):
        bank = f"reingest-delete-{new_id()}"
        await store.banks.create(bank)
        cited = [uuid.UUID(int=trial * 16 + i + 1) for i in range(3)]  # below any uuid4
        units = [unit(i, id=u, entities=["Ada"]) for i, u in enumerate(cited)]
        await store.documents.reingest(bank, "doc", "v1", units=units)
        obs = await store.observations.create(bank, "an observation", embedding(trial), cited)
        await store.memories.add_links(bank, [LinkIn(obs, u, "semantic", 0.5) for u in cited])

        delete = functools.partial(store.memories.delete, bank, [*cited, obs])
        spy = StartsTheDeleteMidway(store.backend, delete)
        documents = DocumentRepository(spy, dim=store.dim)
        outcome = await asyncio.gather(
            documents.reingest(bank, "doc", "v2", units=[unit(9, entities=["Ada"])]),
            return_exceptions=True,
        )
        assert spy.deleting is not None
        deleted = await asyncio.gather(spy.deleting, return_exceptions=True)
        failures = [o for o in (*outcome, *deleted) if isinstance(o, BaseException)]
        assert failures == [], (trial, failures)
        assert await store.memories.get(bank, [*cited, obs]) == []


async def _until_blocked_by(store: Store, pid: int, task: asyncio.Future[Any]) -> None:
    """Wait (bounded) until `task` ends or some session waits for the backend `pid`; each
    poll runs outside the caller's transaction, on a connection of its own."""
    for _ in range(POLLS):
        poll = asyncio.get_running_loop().create_task(
            store.backend.fetchval(PG_BLOCKED_BY, {"pid": pid}), context=contextvars.Context()
        )
        if task.done() or await poll:
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"nothing was ever blocked by backend {pid}")


async def test_delete_stale_and_a_writer_locking_observations_by_id_never_deadlock(
    fresh_store: Store, backend_name: str
) -> None:
    """A transaction locks two observations by id, as every writer does (links onto the
    one with the smaller id, then onto the other, stored earlier); `observations.
    delete_stale` of both starts in between, once the first is locked, and waits for that
    transaction: both end, neither with `DeadlockError`, and the observations and their
    links are gone (delete_stale locks them by id too). Before, in a bank whose size makes
    the planner find the observations through the sources' GIN index (2,000 units,
    analysed), its DELETE locked them in the table's order, took the other one first and
    deadlocked with the transaction (`DeadlockError` in the first trial)."""
    if backend_name != "postgresql":
        pytest.skip("the interleaving is observed through pg_stat_activity")
    store, bank = fresh_store, f"stale-order-{new_id()}"
    await store.banks.create(bank)
    await store.memories.retain(bank, [unit(1000 + i) for i in range(2000)])
    await store.maintain(tables=["memory_units"])  # planner statistics of a large bank
    for trial in range(3):
        source, target = await store.memories.retain(bank, [unit(10 * trial), unit(10 * trial + 1)])
        created = [
            await store.observations.create(bank, f"obs {i}", embedding(100 * trial + i), [source])
            for i in range(8)
        ]
        # Stored first (a scan of the table meets it first) yet with the larger id.
        first, smaller = next(
            (a, b) for i, a in enumerate(created) for b in created[i + 1 :] if b.int < a.int
        )
        async with store.transaction():
            await store.memories.add_links(bank, [LinkIn(smaller, target, "semantic", 0.5)])
            pid = await store.backend.fetchval(PG_PID, {})
            stale = asyncio.get_running_loop().create_task(
                store.observations.delete_stale(bank, [source]), context=contextvars.Context()
            )
            await _until_blocked_by(store, pid, stale)
            await store.memories.add_links(bank, [LinkIn(first, target, "semantic", 0.5)])
        assert await stale == len(created)
        assert await store.memories.get(bank, created) == []
        assert await store.links.outgoing(bank, created) == []
