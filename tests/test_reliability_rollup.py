"""Parents roll up from their children: a parent with children is `waiting` (never
claimed) until the last child completes (then completed) or one fails for good (then
failed), in the transaction that finishes the child; exactly once under concurrent
completion of siblings, without deadlocks, and without `claim` waiting on a parent."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest

from repo.errors import ConflictError, DeadlockError
from repo.models import OperationIn
from repo.repositories.operations import OperationRepository
from repo.store import Store, open_store
from tests.inspection import SpyBackend
from tests.test_reliability_queue import T0, Clock, ops_at

pytestmark = [pytest.mark.integration, pytest.mark.reliability]


def tree(n: int, **child: Any) -> OperationIn:
    return OperationIn(
        "parent", children=[OperationIn("child", {"i": i}, **child) for i in range(n)]
    )


async def test_parent_completes_when_its_last_child_completes(fresh_store: Store) -> None:
    s = fresh_store
    await s.banks.create("b")
    clock = Clock(T0)
    ops = ops_at(s, clock)
    [alone] = await ops.submit("b", OperationIn("alone"))
    parent, *children = await ops.submit("b", tree(3))
    row = await ops.get("b", parent)
    assert (row["status"], row["unfinished_children"], row["attempts"]) == ("waiting", 3, 0)
    assert (await ops.get("b", alone))["status"] == "pending"  # no children: an ordinary operation

    claimed = await ops.claim("w", 10)
    assert {r["id"] for r in claimed} == {alone, *children}  # never the waiting parent
    rows = {r["id"]: r for r in claimed}
    for n, child in enumerate(children[:2], start=1):
        clock.advance(timedelta(seconds=1))
        await ops.complete("b", child, "w", {"n": n}, attempt=rows[child]["attempts"])
        row = await ops.get("b", parent)
        assert (row["status"], row["unfinished_children"]) == ("waiting", 3 - n)
        assert row["completed_at"] is None
    clock.advance(timedelta(seconds=1))
    await ops.complete("b", children[2], "w", attempt=1)
    row = await ops.get("b", parent)
    assert (row["status"], row["unfinished_children"]) == ("completed", 0)
    assert row["completed_at"] == row["updated_at"] == clock.now
    assert (row["claimed_by"], row["attempts"]) == (None, 0)
    await ops.complete("b", alone, "w", attempt=1)
    assert await ops.counts("b") == {"completed": 5}
    assert await ops.claim("w", 10) == []


class PausedAfterTheChild(SpyBackend):
    """The real backend, but each call waits at a barrier right after it finished its
    child's row (completed or failed) and before the parent's roll-up: every sibling has
    written its child, uncommitted, when the roll-ups race."""

    def __init__(self, inner: Any, barrier: asyncio.Barrier) -> None:
        super().__init__(inner)
        self.barrier = barrier

    async def execute(self, stmt: Any, params: Any = None) -> int:
        n = await self.inner.execute(stmt, params or {})
        if stmt.name in ("operations.complete", "operations.fail"):
            await asyncio.wait_for(self.barrier.wait(), timeout=60)
        return n


TRIALS = 20


async def test_the_last_two_siblings_finished_at_once_roll_the_parent_up(
    fresh_store: Store,
) -> None:
    """Two workers complete the last two children at the same moment, each after writing
    its child and before its roll-up: exactly one completes the parent, none misses it."""
    s = fresh_store
    await s.banks.create("b")
    for trial in range(TRIALS):
        parent, *children = await s.operations.submit("b", tree(2 + trial % 3))
        rows = {r["id"]: r for r in await s.operations.claim("w", 10)}
        assert set(rows) == set(children)
        for child in children[:-2]:
            await s.operations.complete("b", child, "w", attempt=1)
        barrier = asyncio.Barrier(2)
        racing = OperationRepository(PausedAfterTheChild(s.backend, barrier), dim=s.dim)
        await asyncio.gather(
            *(racing.complete("b", child, "w", {"t": trial}, attempt=1) for child in children[-2:])
        )
        row = await s.operations.get("b", parent)
        assert (row["status"], row["unfinished_children"]) == ("completed", 0), trial
    assert await s.operations.counts("b") == {"completed": sum(3 + t % 3 for t in range(TRIALS))}


async def test_a_failure_and_a_completion_at_once_fail_the_parent(fresh_store: Store) -> None:
    """The last two children: one fails for good, the other completes, at the same
    moment: the parent ends failed (not completed), whichever commits first."""
    s = fresh_store
    await s.banks.create("b")
    for trial in range(TRIALS // 2):
        parent, doomed, fine = await s.operations.submit("b", tree(2, max_attempts=1))
        await s.operations.claim("w", 10)
        barrier = asyncio.Barrier(2)
        racing = OperationRepository(PausedAfterTheChild(s.backend, barrier), dim=s.dim)
        calls = [
            racing.fail("b", doomed, "w", "boom", attempt=1),
            racing.complete("b", fine, "w", attempt=1),
        ]
        await asyncio.gather(*(calls if trial % 2 else reversed(calls)))
        row = await s.operations.get("b", parent)
        assert row["status"] == "failed", trial
        assert row["error_message"] == f"child operation {doomed} failed: boom"


WORKERS = 6
PARENTS = 3
CHILDREN = 40


async def test_many_workers_completing_siblings_complete_each_parent_once(
    fresh_store: Store,
) -> None:
    """Six workers drain 3 parents' 40 children each: half complete one child per call,
    half a claimed batch in one transaction (in parent order). No call deadlocks, every
    child is completed once, and each parent ends completed with its counter at zero
    (the database refuses a counter below zero: a second roll-up would fail)."""
    s = fresh_store
    await s.banks.create("b")
    trees = [await s.operations.submit("b", tree(CHILDREN)) for _ in range(PARENTS)]
    parents = [ids[0] for ids in trees]
    completed: list[uuid.UUID] = []
    errors: list[BaseException] = []

    async def worker(n: int) -> None:
        for _ in range(PARENTS * CHILDREN):
            batch = await s.operations.claim(f"w{n}", 3)
            if not batch:
                return
            try:
                if n % 2:
                    for row in batch:
                        await s.operations.complete(row["bank_id"], row["id"], f"w{n}", attempt=1)
                else:
                    async with s.transaction():
                        for row in sorted(batch, key=lambda r: (r["parent_id"].int, r["id"].int)):
                            await s.operations.complete(
                                row["bank_id"], row["id"], f"w{n}", attempt=1
                            )
            except DeadlockError as exc:  # pragma: no cover - the failure this test detects
                errors.append(exc)
                return
            completed.extend(r["id"] for r in batch)

    await asyncio.gather(*(worker(n) for n in range(WORKERS)))
    assert errors == []
    assert len(completed) == len(set(completed)) == PARENTS * CHILDREN
    for row in await s.operations.get_many("b", parents):
        assert (row["status"], row["unfinished_children"]) == ("completed", 0)
    assert await s.operations.counts("b") == {"completed": PARENTS * (1 + CHILDREN)}


async def test_a_child_that_fails_for_good_fails_its_parent(fresh_store: Store) -> None:
    """A child failing its last attempt fails the parent at once (with the child's error);
    the siblings still run, and a later completion does not revive the parent."""
    s = fresh_store
    await s.banks.create("b")
    clock = Clock(T0)
    ops = ops_at(s, clock)
    parent, flaky, other = await ops.submit("b", tree(2, max_attempts=2))
    await ops.claim("w", 10)
    assert (await ops.fail("b", flaky, "w", "first", attempt=1))["status"] == "pending"
    assert (await ops.get("b", parent))["status"] == "waiting"  # an attempt is left
    clock.advance(ops.backoff(1))
    [again] = await ops.claim("w", 10)
    assert (again["id"], again["attempts"]) == (flaky, 2)
    clock.advance(timedelta(seconds=1))
    assert (await ops.fail("b", flaky, "w", "second", attempt=2))["status"] == "failed"
    row = await ops.get("b", parent)
    assert (row["status"], row["completed_at"]) == ("failed", clock.now)
    assert row["error_message"] == f"child operation {flaky} failed: second"
    await ops.complete("b", other, "w", attempt=1)  # the sibling's work still counts
    assert (await ops.get("b", parent))["status"] == "failed"
    assert await ops.counts("b") == {"failed": 2, "completed": 1}

    # Without retry (`retry=False`) the first failure is final, for the parent too.
    parent, child = await ops.submit("b", tree(1, max_attempts=5))
    await ops.claim("w", 10)
    await ops.fail("b", child, "w", "fatal", attempt=1, retry=False)
    assert (await ops.get("b", parent))["status"] == "failed"


async def test_a_child_whose_last_lease_expires_fails_its_parent(fresh_store: Store) -> None:
    s = fresh_store
    await s.banks.create("b")
    clock = Clock(T0)
    ops = ops_at(s, clock)
    parent, lost, kept = await ops.submit("b", tree(2, max_attempts=1))
    await ops.claim("doomed", 1, lease=timedelta(seconds=10))
    clock.advance(timedelta(seconds=10))
    [row] = await ops.claim("w", 10)  # expires the lost child, claims its sibling
    assert row["id"] == kept
    child = await ops.get("b", lost)
    assert (child["status"], child["error_message"]) == ("failed", "lease expired")
    row = await ops.get("b", parent)
    assert (row["status"], row["completed_at"]) == ("failed", clock.now)
    assert row["error_message"] == f"child operation {lost} failed: lease expired"


async def test_claim_does_not_wait_for_a_locked_parent(fresh_store: Store) -> None:
    """A child's last lease expires while a sibling's completion holds the parent row (its
    transaction still open): a claim meanwhile neither waits for the parent nor expires
    the child without failing the parent; a later claim does both."""
    s = fresh_store
    await s.banks.create("b")
    clock = Clock(T0)
    ops = ops_at(s, clock)
    parent, expiring, finishing = await ops.submit("b", tree(2, max_attempts=1))
    await ops.claim("w", 10, lease=timedelta(seconds=10))
    [other] = await ops.submit("b", OperationIn("other"))
    clock.advance(timedelta(seconds=10))  # the expiring child's last lease is over
    slow = open_store(s.url, schema=s.schema, run_migrations=False, max_size=1)
    async with slow as held, held.transaction():
        await ops_at(held, clock).complete("b", finishing, "w", attempt=1)  # parent locked
        # A claim that waited for the parent would wait for this very transaction: the
        # bound only turns that hang into a failure.
        claimed = await asyncio.wait_for(ops.claim("w2", 5), timeout=60)
        assert [r["id"] for r in claimed] == [other]
        assert (await ops.get("b", expiring))["status"] == "processing"  # left for later
    assert (await ops.get("b", parent))["status"] == "waiting"  # one child unfinished
    assert await ops.claim("w2", 5) == []
    assert (await ops.get("b", expiring))["status"] == "failed"
    assert (await ops.get("b", parent))["status"] == "failed"


async def test_bank_delete_during_completions_never_deadlocks(fresh_store: Store) -> None:
    """Deleting a bank while workers complete children of its parents: the delete takes
    child operations before parents, as a completion does, so every call succeeds (a
    completion of a deleted child is a plain `ConflictError`) and nothing of the bank
    remains."""
    s = fresh_store
    for trial in range(6):
        bank = f"b{trial}"
        await s.banks.create(bank)
        for _ in range(3):
            await s.operations.submit(bank, tree(10))
        claimed = await s.operations.claim("w", 30)

        async def complete(row: Any) -> None:
            await s.operations.complete(row["bank_id"], row["id"], "w", attempt=row["attempts"])

        outcomes = await asyncio.gather(
            *(complete(r) for r in claimed[:15]),
            s.banks.delete(bank),
            *(complete(r) for r in claimed[15:]),
            return_exceptions=True,
        )
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        assert not [o for o in failures if isinstance(o, DeadlockError)], trial
        assert all(isinstance(o, ConflictError) for o in failures), failures
        assert await s.operations.counts(bank) == {}
