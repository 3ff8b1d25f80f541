"""The task queue: atomic submit, SKIP LOCKED claims, leases, retries with backoff, prune."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from repo.errors import ConflictError, ValidationError
from repo.models import OperationIn
from repo.store import Store

pytestmark = pytest.mark.integration


async def test_submit_parent_and_children(fresh_store: Store) -> None:
    s = fresh_store
    await s.banks.create("b")
    ids = await s.operations.submit("b", OperationIn("parent", {"n": 1}, children=[
        OperationIn("child", {"i": i}) for i in range(3)
    ]))  # fmt: skip
    assert len(ids) == 4
    children = await s.operations.children("b", ids[0])
    assert sorted(c["payload"]["i"] for c in children) == [0, 1, 2]
    assert {c["parent_id"] for c in children} == {ids[0]}
    assert await s.operations.counts("b") == {"waiting": 1, "pending": 3}
    parent = await s.operations.get("b", ids[0])
    assert (parent["status"], parent["unfinished_children"]) == ("waiting", 3)


async def test_submit_with_a_bad_child_writes_nothing(fresh_store: Store) -> None:
    s = fresh_store
    await s.banks.create("b")
    bad = OperationIn("parent", children=[OperationIn("ok"), OperationIn("")])
    with pytest.raises(ValidationError, match=r"children\[1\]"):
        await s.operations.submit("b", bad)
    assert await s.operations.counts("b") == {}


async def test_claim_complete_fail_and_backoff(fresh_store: Store) -> None:
    s = fresh_store
    await s.banks.create("b")
    [op] = await s.operations.submit("b", OperationIn("job", max_attempts=2))
    [claimed] = await s.operations.claim("w1", 5)
    assert claimed["id"] == op and claimed["status"] == "processing" and claimed["attempts"] == 1
    assert await s.operations.claim("w2", 5) == []  # leased
    failed = await s.operations.fail("b", op, "w1", "boom", attempt=1)
    assert failed["status"] == "pending" and failed["error_message"] == "boom"
    assert failed["next_attempt_at"] >= failed["updated_at"] + s.operations.backoff(1)
    assert await s.operations.claim("w1", 5) == []  # backing off
    with pytest.raises(ConflictError):
        await s.operations.complete("b", op, "w1", attempt=1)  # not claimed any more


async def test_retry_after_backoff_then_final_failure(fresh_store: Store) -> None:
    s = fresh_store
    await s.banks.create("b")
    s.operations.base_backoff = timedelta(milliseconds=50)
    [op] = await s.operations.submit("b", OperationIn("job", max_attempts=2))
    await s.operations.claim("w", 1)
    await s.operations.fail("b", op, "w", "first", attempt=1)
    await asyncio.sleep(0.1)
    [again] = await s.operations.claim("w", 1)
    assert again["attempts"] == 2
    final = await s.operations.fail("b", op, "w", "second", attempt=2)
    assert final["status"] == "failed" and final["completed_at"] is not None


async def test_expired_lease_is_reclaimable(fresh_store: Store) -> None:
    s = fresh_store
    await s.banks.create("b")
    [op] = await s.operations.submit("b", OperationIn("job"))
    await s.operations.claim("dead-worker", 1, lease=timedelta(milliseconds=50))
    await asyncio.sleep(0.1)
    [reclaimed] = await s.operations.claim("w2", 1)
    assert reclaimed["id"] == op and reclaimed["claimed_by"] == "w2" and reclaimed["attempts"] == 2
    with pytest.raises(ConflictError):
        await s.operations.complete("b", op, "dead-worker", attempt=1)
    await s.operations.complete("b", op, "w2", {"done": True}, attempt=2)
    assert (await s.operations.get("b", op))["result"] == {"done": True}


async def test_concurrent_claims_never_overlap(fresh_store: Store) -> None:
    s = fresh_store
    await s.banks.create("b")
    ids = await s.operations.submit(
        "b", OperationIn("p", children=[OperationIn("c") for _ in range(59)])
    )
    claimed: list[object] = []

    async def worker(name: str) -> None:
        while batch := await s.operations.claim(name, 4):
            claimed.extend(r["id"] for r in batch)
            for r in batch:
                await s.operations.complete(r["bank_id"], r["id"], name, attempt=r["attempts"])

    await asyncio.gather(*(worker(f"w{i}") for i in range(4)))
    assert sorted(map(str, claimed)) == sorted(map(str, ids[1:]))  # the parent rolls up
    assert await s.operations.counts("b") == {"completed": 60}


async def test_prune_finished(fresh_store: Store) -> None:
    s = fresh_store
    await s.banks.create("b")
    [done, _] = [(await s.operations.submit("b", OperationIn(t)))[0] for t in ("a", "b")]
    for row in await s.operations.claim("w", 1):
        await s.operations.complete(row["bank_id"], row["id"], "w", attempt=row["attempts"])
    assert await s.operations.prune("b", s.operations.now() + timedelta(seconds=1)) == 1
    assert await s.operations.counts("b") == {"pending": 1}
    del done
