"""The task queue under contention: exactly-once processing, backoff, leases of dead workers.

The queue is not bank-scoped (`claim` takes any due operation), so every test here works
in a schema of its own (`fresh_store`). Nothing measures time: the clock-driven tests
inject the repository's clock, and the contention test only checks orderings of the
timestamps the database stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from repo.errors import ConflictError
from repo.models import OperationIn
from repo.repositories.operations import OperationRepository
from repo.store import Store, open_store
from tests.inspection import SpyBackend

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

PARENTS = 5
CHILDREN = 999  # 5 parents x (1 + 999 children) = 5,000 operations
TOTAL = PARENTS * (1 + CHILDREN)
CLAIMABLE = PARENTS * CHILDREN  # the parents wait for their children, then roll up
WORKERS = 8
BATCH = 25
FLAKY_EVERY = 50  # every 50th operation fails its first attempt (100 of them)
ABANDONED = 20  # operations claimed by a worker that then dies
#: Bounds of the drain loop: wall time (a safety net, not an assertion) and iterations.
DEADLINE_S = 90.0
MAX_POLLS = 20_000


class Clock:
    """A settable clock for a repository (`clock=`): tests move time, nothing sleeps."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


T0 = datetime(2030, 1, 1, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def ops_at(store: Store, clock: Clock) -> OperationRepository:
    """The store's queue seen through a clock the test controls."""
    return OperationRepository(store.backend, dim=store.dim, clock=clock)


@dataclass
class Ledger:
    """What the workers saw: every claim, failure and completion."""

    claims: dict[uuid.UUID, list[tuple[str, int, datetime]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    #: For each failed operation: its claim that failed (index) and its next_attempt_at.
    retry_due: dict[uuid.UUID, tuple[int, datetime]] = field(default_factory=dict)
    completed: list[tuple[uuid.UUID, str]] = field(default_factory=list)


async def test_workers_drain_5000_operations_exactly_once(fresh_store: Store) -> None:
    s = fresh_store
    await s.banks.create("q")
    s.operations.base_backoff = timedelta(milliseconds=50)

    def payload(n: int) -> dict[str, Any]:
        return {"n": n, "flaky": n % FLAKY_EVERY == 0}

    def tree(p: int) -> OperationIn:
        first = p * (1 + CHILDREN)
        children = [OperationIn("child", payload(first + 1 + i)) for i in range(CHILDREN)]
        return OperationIn("parent", payload(first), children=children)

    # Bulk submit: one transaction per parent with its 999 children, parents concurrently.
    submitted = await asyncio.gather(*(s.operations.submit("q", tree(p)) for p in range(PARENTS)))
    all_ids = {op_id for ids in submitted for op_id in ids}
    assert len(all_ids) == TOTAL
    parents = {ids[0] for ids in submitted}
    children = all_ids - parents

    ledger = Ledger()

    # A worker in another process claims, then dies mid-task: its pool goes away and its
    # operations stay `processing` under a short lease.
    lease = timedelta(milliseconds=300)
    async with open_store(s.url, schema=s.schema, run_migrations=False, max_size=1) as doomed:
        abandoned_rows = await doomed.operations.claim("doomed", ABANDONED, lease=lease)
    abandoned = {r["id"]: r["next_attempt_at"] for r in abandoned_rows}
    assert len(abandoned) == ABANDONED
    for r in abandoned_rows:
        ledger.claims[r["id"]].append(("doomed", r["attempts"], r["claimed_at"]))

    failed_once: set[uuid.UUID] = set()
    deadline = time.monotonic() + DEADLINE_S

    async def worker(name: str) -> None:
        for _ in range(MAX_POLLS):
            if len(ledger.completed) >= CLAIMABLE or time.monotonic() > deadline:
                return
            batch = await s.operations.claim(name, BATCH)
            if not batch:
                await asyncio.sleep(0.02)  # operations backing off or under a lease
                continue
            finished: list[tuple[uuid.UUID, str]] = []
            # The batch's outcomes commit together (one commit per batch keeps 5,000
            # operations quick); each is still guarded by the worker's claim. Finishing a
            # child locks its parent until the commit: in parent order, so that two
            # batches never wait for each other's parents.
            async with s.transaction():
                for row in sorted(batch, key=lambda r: (r["parent_id"].int, r["id"].int)):
                    op_id = row["id"]
                    ledger.claims[op_id].append((name, row["attempts"], row["claimed_at"]))
                    if row["payload"]["flaky"] and op_id not in failed_once:
                        failed_once.add(op_id)
                        after = await s.operations.fail(
                            row["bank_id"], op_id, name, "transient", attempt=row["attempts"]
                        )
                        assert after["status"] == "pending"
                        failing_claim = len(ledger.claims[op_id]) - 1
                        ledger.retry_due[op_id] = (failing_claim, after["next_attempt_at"])
                    else:
                        await s.operations.complete(
                            row["bank_id"], op_id, name, {"by": name}, attempt=row["attempts"]
                        )
                        finished.append((op_id, name))
            ledger.completed.extend(finished)

    await asyncio.gather(*(worker(f"w{i}") for i in range(WORKERS)))

    # Exactly once: every child completed, none twice, none lost; every parent rolled up
    # from its children (completed, its counter at zero, never claimed).
    done = [op_id for op_id, _ in ledger.completed]
    assert len(done) == len(set(done)) == CLAIMABLE
    assert set(done) == children
    assert await s.operations.counts("q") == {"completed": TOTAL}
    for parent in await s.operations.get_many("q", list(parents)):
        assert (parent["unfinished_children"], parent["attempts"]) == (0, 0)
    assert await s.operations.claim("late", 100) == []  # the queue is empty

    # No two workers ever held the same attempt: each operation's claims are attempts
    # 1, 2, 3... in order, and the database counted exactly those claims.
    rows = {r["id"]: r for r in await s.operations.get_many("q", list(all_ids))}
    completer = dict(ledger.completed)
    for op_id, claims in ledger.claims.items():
        assert [a for _, a, _ in claims] == list(range(1, len(claims) + 1)), claims
        row = rows[op_id]
        assert row["attempts"] == len(claims)
        assert row["claimed_by"] == completer[op_id] == claims[-1][0]
        assert row["result"] == {"by": completer[op_id]}
    assert set(ledger.claims) == children

    # Retries respect the backoff: a failed operation is not claimed again before the
    # `next_attempt_at` its failure set.
    assert len(ledger.retry_due) == sum(rows[c]["payload"]["flaky"] for c in children) == 95
    for op_id, (failing_claim, due) in ledger.retry_due.items():
        retries = ledger.claims[op_id][failing_claim + 1 :]
        assert retries and all(at >= due for _, _, at in retries), (due, retries)

    # The dead worker's operations were reclaimed only after its lease, by live workers,
    # and a late completion by the dead worker is refused.
    for op_id, lease_end in abandoned.items():
        later = ledger.claims[op_id][1:]
        assert later and all(w != "doomed" and at >= lease_end for w, _, at in later)
    with pytest.raises(ConflictError):
        await s.operations.complete("q", next(iter(abandoned)), "doomed", attempt=1)


async def test_failed_operation_waits_for_its_backoff(fresh_store: Store) -> None:
    s = fresh_store
    await s.banks.create("b")
    clock = Clock(T0)
    ops = ops_at(s, clock)
    [op] = await ops.submit("b", OperationIn("job", max_attempts=4))
    for attempt in (1, 2, 3):
        [row] = await ops.claim("w", 5)
        assert (row["id"], row["attempts"]) == (op, attempt)
        failed = await ops.fail("b", op, "w", f"attempt {attempt}", attempt=attempt)
        assert failed["status"] == "pending"
        assert failed["next_attempt_at"] == clock.now + ops.backoff(attempt)
        clock.advance(ops.backoff(attempt) - TICK)
        assert await ops.claim("other", 5) == []  # one microsecond early: not yet
        clock.advance(TICK)
    [last] = await ops.claim("w", 5)
    assert last["attempts"] == 4
    final = await ops.fail("b", op, "w", "attempt 4", attempt=4)
    assert (final["status"], final["completed_at"]) == ("failed", clock.now)
    clock.advance(ops.max_backoff * 10)
    assert await ops.claim("w", 5) == []  # failed for good
    assert await ops.counts("b") == {"failed": 1}


def test_backoff_doubles_up_to_its_cap() -> None:
    ops = OperationRepository(cast(Any, None), dim=1)
    delays = [ops.backoff(n) for n in range(1, 16)]
    assert delays[:4] == [ops.base_backoff * k for k in (1, 2, 4, 8)]
    assert max(delays) == delays[-1] == ops.max_backoff
    assert delays == sorted(delays)


async def test_dead_workers_operation_is_reclaimable_after_its_lease(fresh_store: Store) -> None:
    s = fresh_store
    await s.banks.create("b")
    clock = Clock(T0)
    [op] = await ops_at(s, clock).submit("b", OperationIn("job"))

    # The worker claims on its own connection pool, then its process dies.
    async with open_store(s.url, schema=s.schema, run_migrations=False, max_size=1) as doomed:
        [row] = await ops_at(doomed, clock).claim("doomed", 1, lease=timedelta(seconds=30))
    assert (row["status"], row["claimed_by"]) == ("processing", "doomed")

    ops = ops_at(s, clock)
    clock.advance(timedelta(seconds=30) - TICK)
    assert await ops.claim("w2", 1) == []  # the lease still holds
    clock.advance(TICK)
    [again] = await ops.claim("w2", 1)
    assert (again["id"], again["claimed_by"], again["attempts"]) == (op, "w2", 2)
    with pytest.raises(ConflictError):
        await ops.complete("b", op, "doomed", attempt=1)  # the dead worker came back too late
    with pytest.raises(ConflictError):
        await ops.fail("b", op, "doomed", "late", attempt=1)
    await ops.complete("b", op, "w2", {"ok": True}, attempt=2)
    assert (await ops.get("b", op))["status"] == "completed"


async def test_lease_expiry_on_the_last_attempt_fails_the_operation(fresh_store: Store) -> None:
    s = fresh_store
    await s.banks.create("b")
    clock = Clock(T0)
    ops = ops_at(s, clock)
    [op] = await ops.submit("b", OperationIn("job", max_attempts=1))
    await ops.claim("doomed", 1, lease=timedelta(seconds=10))
    clock.advance(timedelta(seconds=10))
    assert await ops.claim("w2", 1) == []  # no attempt left: not handed out again
    row = await ops.get("b", op)
    assert (row["status"], row["error_message"]) == ("failed", "lease expired")
    assert row["completed_at"] == clock.now


async def test_concurrent_claimers_on_separate_pools_never_share(fresh_store: Store) -> None:
    """Claimers in different processes (own pools) split the queue without overlap."""
    s = fresh_store
    await s.banks.create("b")
    ids = await s.operations.submit(
        "b", OperationIn("p", children=[OperationIn("c") for _ in range(299)])
    )
    seen: dict[uuid.UUID, str] = {}

    async def process(name: str) -> None:
        async with open_store(s.url, schema=s.schema, run_migrations=False, max_size=2) as mine:
            for _ in range(len(ids)):
                batch = await mine.operations.claim(name, 7)
                if not batch:
                    return
                for row in batch:
                    assert row["id"] not in seen, (row["id"], seen.get(row["id"]), name)
                    seen[row["id"]] = name
                    await mine.operations.complete(
                        row["bank_id"], row["id"], name, attempt=row["attempts"]
                    )

    await asyncio.gather(*(process(f"p{i}") for i in range(4)))
    assert set(seen) == set(ids[1:])  # the children; the parent rolls up
    assert await s.operations.counts("b") == {"completed": len(ids)}


async def test_prune_keeps_a_tree_until_every_member_is_finished(fresh_store: Store) -> None:
    """A parent waiting for its children is not finished, and a parent failed by one child
    while its siblings still run is kept with them (the foreign key would delete the
    running children with it); once every member is finished the tree is pruned."""
    s = fresh_store
    await s.banks.create("b")
    clock = Clock(T0)
    ops = ops_at(s, clock)
    kinds = ("failing", "running", "queued")
    parent, failing, running, queued = await ops.submit(
        "b", OperationIn("parent", children=[OperationIn(k, max_attempts=1) for k in kinds])
    )
    claimed = {r["id"]: r for r in await ops.claim("w", 2)}
    assert set(claimed) == {failing, running}  # the parent waits; it is not claimed
    clock.advance(timedelta(hours=1))
    assert await ops.prune("b", clock.now) == 0  # waiting: not finished
    await ops.fail("b", failing, "w", "boom", attempt=1)
    assert (await ops.get("b", parent))["status"] == "failed"
    clock.advance(timedelta(hours=1))
    assert await ops.prune("b", clock.now) == 0  # failed, but two children unfinished
    tree = [parent, failing, running, queued]
    assert {r["id"] for r in await ops.get_many("b", tree)} == set(tree)
    await ops.complete("b", running, "w", {"ok": True}, attempt=1)  # its work is not lost
    [last] = await ops.claim("w", 1)
    assert last["id"] == queued
    clock.advance(timedelta(hours=1))
    assert await ops.prune("b", clock.now) == 0  # one child still processing
    await ops.complete("b", queued, "w", attempt=1)
    assert (await ops.get("b", parent))["status"] == "failed"  # a failed parent stays failed
    clock.advance(timedelta(hours=1))
    assert await ops.prune("b", clock.now) == 1
    assert await ops.get_many("b", tree) == []


async def test_fail_backs_off_on_every_attempt_up_to_the_last(fresh_store: Store) -> None:
    """The backoff is capped before it grows: 100 attempts fail and retry without error."""
    s = fresh_store
    await s.banks.create("b")
    clock = Clock(T0)
    ops = ops_at(s, clock)
    [op] = await ops.submit("b", OperationIn("job", max_attempts=100))
    for attempt in range(1, 101):
        [row] = await ops.claim("w", 1)
        assert row["attempts"] == attempt
        failed = await ops.fail("b", op, "w", f"attempt {attempt}", attempt=attempt)
        if attempt < 100:
            assert failed["status"] == "pending"
            assert failed["next_attempt_at"] == clock.now + min(
                ops.base_backoff * 2 ** min(attempt - 1, 30), ops.max_backoff
            )
            clock.advance(ops.max_backoff)
    assert (failed["status"], failed["attempts"]) == ("failed", 100)
    assert ops.backoff(10**9) == ops.max_backoff


async def test_claim_does_not_wait_for_a_locked_exhausted_operation(fresh_store: Store) -> None:
    """A worker finishing its last attempt late holds the row lock; a claim meanwhile skips
    that row instead of waiting for it, and claims other work."""
    s = fresh_store
    await s.banks.create("b")
    clock = Clock(T0)
    ops = ops_at(s, clock)
    [late] = await ops.submit("b", OperationIn("late", max_attempts=1))
    await ops.claim("slow", 1, lease=timedelta(seconds=10))
    [other] = await ops.submit("b", OperationIn("other"))
    clock.advance(timedelta(seconds=10))  # the last attempt's lease is over
    async with open_store(s.url, schema=s.schema, run_migrations=False, max_size=1) as slow:
        slow_ops = ops_at(slow, clock)
        async with slow.transaction():
            await slow_ops.complete("b", late, "slow", attempt=1)  # row locked until commit
            # A claim that waited for the lock would wait for this very transaction:
            # the bound only turns that hang into a failure.
            claimed = await asyncio.wait_for(ops.claim("w", 5), timeout=60)
            assert [r["id"] for r in claimed] == [other]
    assert (await ops.get("b", late))["status"] == "completed"  # the late completion stands
    await ops.complete("b", other, "w", attempt=1)
    assert await ops.claim("w", 5) == []


async def test_a_late_call_for_an_earlier_claim_is_refused(fresh_store: Store) -> None:
    """Claims are fenced by their attempt: when a worker id is reused (a restarted worker),
    the late `complete`/`fail` of attempt 1 cannot finish attempt 2."""
    s = fresh_store
    await s.banks.create("b")
    clock = Clock(T0)
    ops = ops_at(s, clock)
    [op] = await ops.submit("b", OperationIn("job"))
    [first] = await ops.claim("w", 1, lease=timedelta(seconds=10))
    clock.advance(timedelta(seconds=10))
    [second] = await ops.claim("w", 1)  # the same worker id, after the lease
    assert (first["attempts"], second["attempts"]) == (1, 2)
    with pytest.raises(ConflictError):
        await ops.complete("b", op, "w", {"from": "attempt 1"}, attempt=first["attempts"])
    with pytest.raises(ConflictError):
        await ops.fail("b", op, "w", "attempt 1 failed late", attempt=first["attempts"])
    row = await ops.get("b", op)
    assert (row["status"], row["attempts"], row["result"]) == ("processing", 2, None)
    await ops.complete("b", op, "w", {"from": "attempt 2"}, attempt=second["attempts"])
    assert (await ops.get("b", op))["result"] == {"from": "attempt 2"}


class CancelledAfterCommit(SpyBackend):
    """The real backend, but the calling task is cancelled right after a transaction
    commits: where a cancellation (`asyncio.wait_for`) lands while the pool takes the
    connection back, after the claim is already in the database."""

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        async with self.inner.transaction():
            yield
        task = asyncio.current_task()
        assert task is not None
        task.cancel()
        await asyncio.sleep(0)


async def test_a_claim_cancelled_after_it_committed_is_released(fresh_store: Store) -> None:
    """The cancelled caller never received its operations: they are pending and due at
    once (not `processing` until the lease ends), and their attempt is not counted."""
    s = fresh_store
    await s.banks.create("b")
    clock = Clock(T0)
    ops = ops_at(s, clock)
    ids = [(await ops.submit("b", OperationIn(t)))[0] for t in ("a", "b")]
    cancelling = OperationRepository(CancelledAfterCommit(s.backend), dim=s.dim, clock=clock)
    claim = asyncio.ensure_future(cancelling.claim("w", 5, lease=timedelta(hours=1)))
    with pytest.raises(asyncio.CancelledError):
        await claim
    rows = await ops.get_many("b", ids)
    assert {(r["status"], r["attempts"], r["claimed_by"]) for r in rows} == {("pending", 0, None)}
    again = await ops.claim("w2", 5)
    assert sorted(r["id"] for r in again) == sorted(ids)
    assert {r["attempts"] for r in again} == {1}


async def test_a_claim_cancelled_before_it_committed_leaves_nothing(fresh_store: Store) -> None:
    """Cancelled while its statements run (here: after the rows were locked and updated,
    before the commit), the claim is rolled back; the operations stay as they were."""
    s = fresh_store
    await s.banks.create("b")
    clock = Clock(T0)
    ops = ops_at(s, clock)
    [op] = await ops.submit("b", OperationIn("job"))

    class CancelledAfterUpdate(SpyBackend):
        async def execute(self, stmt: Any, params: Any = None) -> int:
            n = await self.inner.execute(stmt, params or {})
            if stmt.name == "operations.claim":
                task = asyncio.current_task()
                assert task is not None
                task.cancel()
                await asyncio.sleep(0)
            return n

    cancelling = OperationRepository(CancelledAfterUpdate(s.backend), dim=s.dim, clock=clock)
    with pytest.raises(asyncio.CancelledError):
        await asyncio.ensure_future(cancelling.claim("w", 1))
    row = await ops.get("b", op)
    assert (row["status"], row["attempts"], row["claimed_by"]) == ("pending", 0, None)
    [again] = await ops.claim("w2", 1)
    assert (again["id"], again["attempts"]) == (op, 1)
