"""The task queue: submit (parent + children atomically), claim with SKIP LOCKED and a lease,
complete, fail with retry and exponential backoff, prune finished operations.

A claim sets `next_attempt_at` to the end of the lease: an operation whose worker died
becomes claimable again when the lease expires, and each claim counts one attempt. A
parent with children is `waiting`: it is never claimed, and rolls up from its children
(`repo.repositories.operation_trees`).

Workers serve the store's queue (`claim` takes due operations of any bank); every verb
that names an operation (`get`, `get_many`, `children`, `complete`, `fail`) takes its
bank first and puts it in the statement's WHERE, so a caller of one bank never reads or
finishes another bank's operation. A claimed row carries its `bank_id`.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from repo.errors import ConflictError, MemrepoError, NotFoundError, ValidationError
from repo.models import OperationIn
from repo.repositories import operation_trees as trees
from repo.repositories.base import Repository
from repo.rows import Row
from repo.sql import Statement, in_uuids
from repo.validation.batches import check_batch, check_model
from repo.validation.json_objects import MAX_PAYLOAD_BYTES, check_json
from repo.validation.scalars import check_datetime, check_limit, check_uuid, check_uuids
from repo.validation.text import check_id, check_optional_text, check_text
from schema.tables import async_operations

_o = async_operations.c
#: Most attempts an operation may be given.
MAX_ATTEMPTS = 100
_NOW = sa.bindparam("now", type_=_o.next_attempt_at.type)
_ACTIVE = trees.ACTIVE

OP_COLUMNS = [
    "id", "bank_id", "operation_type", "status", "payload", "result", "error_message",
    "attempts", "max_attempts", "next_attempt_at", "parent_id", "claimed_by", "claimed_at",
    "completed_at", "created_at", "updated_at", "unfinished_children",
]  # fmt: skip

INSERT = Statement(
    "operations.insert",
    sa.insert(async_operations).values({c: sa.bindparam(c) for c in OP_COLUMNS}),
)
_claimable = (
    sa.select(_o.id)
    .where(
        _o.status.in_(_ACTIVE),
        _o.next_attempt_at <= _NOW,
        _o.attempts < _o.max_attempts,
    )
    .order_by(_o.next_attempt_at)
)
# Oracle has no partial index: its function-based index `ixo_async_operations_claimable`
# covers this CASE expression, which the query must repeat for the index to be used.
_claim_key = sa.case((_o.status.in_(_ACTIVE), _o.next_attempt_at))
_claimable_oracle = (
    sa.select(_o.id).where(_claim_key <= _NOW, _o.attempts < _o.max_attempts).order_by(_claim_key)
)
CLAIMABLE = Statement(
    "operations.claimable",
    _claimable.limit(sa.bindparam("limit")).with_for_update(skip_locked=True),
    # ORA-02014: Oracle rejects FETCH FIRST with FOR UPDATE; its backend fetches n rows
    # from the open cursor instead.
    overrides={"oracle": _claimable_oracle.with_for_update(skip_locked=True)},
)
CLAIM = Statement(
    "operations.claim",
    sa.update(async_operations)
    .where(in_uuids(_o.id, "ids"))
    .values(
        status=sa.literal_column("'processing'"),
        attempts=_o.attempts + sa.literal_column("1"),
        claimed_by=sa.bindparam("worker"),
        claimed_at=_NOW,
        next_attempt_at=sa.bindparam("lease_until", type_=_o.next_attempt_at.type),
        updated_at=_NOW,
    ),
)
# Operations whose lease expired after their last allowed attempt. Locked rows are
# skipped (a worker may still hold one, e.g. finishing late): `claim` never waits on them,
# a later claim expires them.
_exhausted = sa.and_(_o.next_attempt_at <= _NOW, _o.attempts >= _o.max_attempts)
EXHAUSTED = Statement(
    "operations.exhausted",
    sa.select(_o.bank_id, _o.id, _o.parent_id)
    .where(_o.status.in_(_ACTIVE), _exhausted)
    .limit(sa.bindparam("limit"))
    .with_for_update(skip_locked=True),
    overrides={
        "oracle": sa.select(_o.bank_id, _o.id, _o.parent_id)
        .where(_claim_key <= _NOW, _o.attempts >= _o.max_attempts)
        .with_for_update(skip_locked=True)
    },
)
EXPIRE = Statement(
    "operations.expire",
    sa.update(async_operations)
    .where(in_uuids(_o.id, "ids"))
    .values(
        status=sa.literal_column("'failed'"),
        error_message=sa.func.coalesce(_o.error_message, sa.literal_column("'lease expired'")),
        completed_at=_NOW,
        updated_at=_NOW,
    ),
)
#: Undo a claim nobody received (its call was cancelled): the rows this claim took, and
#: only while still in it (the claim's worker and `claimed_at`), go back to pending, due
#: now, without the attempt. A claim that never committed matches nothing.
RELEASE = Statement(
    "operations.release",
    sa.update(async_operations)
    .where(
        in_uuids(_o.id, "ids"),
        _o.status == sa.literal_column("'processing'"),
        _o.claimed_by == sa.bindparam("worker"),
        _o.claimed_at == _NOW,
    )
    .values(
        status=sa.literal_column("'pending'"),
        attempts=_o.attempts - sa.literal_column("1"),
        claimed_by=sa.null(),
        claimed_at=sa.null(),
        next_attempt_at=_NOW,
        updated_at=_NOW,
    ),
)
_BANK = sa.bindparam("bank_id", type_=_o.bank_id.type)
#: The rows a claim took (its own ids, of any bank).
CLAIMED = Statement("operations.claimed", sa.select(async_operations).where(in_uuids(_o.id, "ids")))
GET_MANY = Statement(
    "operations.get_many",
    sa.select(async_operations).where(_o.bank_id == _BANK, in_uuids(_o.id, "ids")),
)
CHILDREN = Statement(
    "operations.children",
    sa.select(async_operations)
    .where(_o.bank_id == _BANK, _o.parent_id == sa.bindparam("parent_id", type_=_o.id.type))
    .order_by(_o.created_at, _o.id),
)
#: The operation is still in the claim this worker took as attempt `attempt`: the claim
#: was not lost to another, nor to a later claim of the same worker id.
_CLAIMED_BY_WORKER = (
    _o.bank_id == _BANK,
    _o.id == sa.bindparam("id", type_=_o.id.type),
    _o.status == sa.literal_column("'processing'"),
    _o.claimed_by == sa.bindparam("worker"),
    _o.attempts == sa.bindparam("attempt", type_=_o.attempts.type),
)
COMPLETE = Statement(
    "operations.complete",
    sa.update(async_operations)
    .where(*_CLAIMED_BY_WORKER)
    .values(
        status=sa.literal_column("'completed'"),
        result=sa.bindparam("result", type_=_o.result.type),
        completed_at=_NOW,
        updated_at=_NOW,
    ),
)
FAIL = Statement(
    "operations.fail",
    sa.update(async_operations)
    .where(*_CLAIMED_BY_WORKER)
    .values(
        status=sa.bindparam("status"),
        error_message=sa.bindparam("error"),
        next_attempt_at=sa.bindparam("next_attempt_at", type_=_o.next_attempt_at.type),
        completed_at=sa.bindparam("completed_at", type_=_o.completed_at.type),
        claimed_by=sa.null(),
        updated_at=_NOW,
    ),
)
COUNT_BY_STATUS = Statement(
    "operations.count_by_status",
    sa.select(_o.status, sa.func.count().label("n")).where(_o.bank_id == _BANK).group_by(_o.status),
)


class OperationRepository(Repository):
    #: First retry delay; doubled per attempt, capped at `max_backoff`.
    base_backoff = timedelta(seconds=1)
    max_backoff = timedelta(minutes=10)
    #: Longest lease a claim may take.
    max_lease = timedelta(days=30)

    #: Most operations one claim marks failed for an expired last lease (more: next claim).
    expire_batch = 1000

    def backoff(self, attempts: int) -> timedelta:
        """Delay before the next attempt after `attempts` failed ones: `base_backoff`
        doubled per attempt, capped at `max_backoff` (doubling stops at the cap, so no
        attempt count overflows)."""
        delay = self.base_backoff
        # 1 µs doubled 67 times passes timedelta.max: 128 doublings always reach the cap.
        for _ in range(min(max(attempts - 1, 0), 128)):
            if delay >= self.max_backoff / 2:
                return self.max_backoff
            delay *= 2
        return min(delay, self.max_backoff)

    async def submit(self, bank_id: str, op: OperationIn) -> list[uuid.UUID]:
        """Queue an operation and its children in one transaction; return [parent, *children].

        A parent with children is `waiting`: never claimed, it completes when its last
        child completes and fails when a child fails for good."""
        check_id("bank_id", bank_id)
        check_model("op", op, OperationIn)
        check_batch("op.children", op.children, allow_empty=True, kind=OperationIn)
        now = self.now()
        parent_id = uuid.uuid4()
        rows = [self._row(bank_id, op, parent_id, None, now, "op")]
        for i, child in enumerate(op.children):
            if child.children:
                raise ValidationError(f"op.children[{i}].children", "only one level of children")
            rows.append(
                self._row(bank_id, child, uuid.uuid4(), parent_id, now, f"op.children[{i}]")
            )
        if len(rows) > 1:
            rows[0].update(status="waiting", unfinished_children=len(rows) - 1)
        async with self.db.transaction():
            await self.db.executemany(INSERT, rows)
        return [r["id"] for r in rows]

    def _row(
        self, bank_id: str, op: OperationIn, op_id: uuid.UUID, parent: uuid.UUID | None,
        now: datetime, field: str,
    ) -> dict[str, Any]:  # fmt: skip
        return {
            "id": op_id, "bank_id": bank_id,
            "operation_type": check_text(
                f"{field}.operation_type", op.operation_type, max_length=64
            ),
            "status": "pending", "payload": check_json(
                f"{field}.payload", op.payload, max_bytes=MAX_PAYLOAD_BYTES
            ),
            "result": None, "error_message": None, "attempts": 0,
            "max_attempts": check_limit(
                f"{field}.max_attempts", op.max_attempts, maximum=MAX_ATTEMPTS
            ),
            "next_attempt_at": now, "parent_id": parent, "claimed_by": None, "claimed_at": None,
            "completed_at": None, "created_at": now, "updated_at": now, "unfinished_children": 0,
        }  # fmt: skip

    async def claim(
        self, worker: str, n: int = 1, *, lease: timedelta = timedelta(minutes=5)
    ) -> list[Row]:
        """Claim up to n due operations for `worker` until `now + lease`.

        Concurrent workers never claim the same operation (`FOR UPDATE SKIP LOCKED`).
        Operations whose lease expired after their last allowed attempt are marked failed.
        A call cancelled after its claim may have committed (e.g. by `asyncio.wait_for`)
        releases the operations it claimed: nobody received them, so they are due again
        at once, without the attempt.
        """
        check_id("worker", worker)
        check_limit("n", n)
        if not isinstance(lease, timedelta):
            raise ValidationError("lease", f"expected a timedelta, got {type(lease).__name__}")
        if not timedelta(0) < lease <= self.max_lease:
            raise ValidationError("lease", f"must be positive and at most {self.max_lease}")
        now = self.now()
        ids: list[uuid.UUID] = []
        try:
            async with self.db.transaction():
                exhausted = await self.db.fetch_locked(EXHAUSTED, {"now": now}, self.expire_batch)
                expired = await trees.expirable(self.db, exhausted) if exhausted else []
                if expired:
                    await self.db.execute(EXPIRE, {"ids": [r["id"] for r in expired], "now": now})
                    await trees.children_expired(self.db, expired, now)
                ids = [r["id"] for r in await self.db.fetch_locked(CLAIMABLE, {"now": now}, n)]
                if not ids:
                    return []
                await self.db.execute(
                    CLAIM, {"ids": ids, "worker": worker, "now": now, "lease_until": now + lease}
                )
                return await self.db.fetch(CLAIMED, {"ids": ids})
        except asyncio.CancelledError:
            if ids:
                await self._release(ids, worker, now)
            raise

    async def _release(self, ids: list[uuid.UUID], worker: str, claimed_at: datetime) -> None:
        """Release a cancelled claim, shielded: a second cancellation does not stop it. If
        it fails, the operations come back when their lease ends, as before."""
        release = asyncio.ensure_future(
            self.db.execute(RELEASE, {"ids": ids, "worker": worker, "now": claimed_at})
        )
        release.add_done_callback(lambda done: done.cancelled() or done.exception())
        with contextlib.suppress(MemrepoError):
            await asyncio.shield(release)

    async def complete(
        self,
        bank_id: str,
        op_id: uuid.UUID | str,
        worker: str,
        result: Mapping[str, Any] | None = None,
        *,
        attempt: int,
    ) -> None:
        """Mark a claimed operation of `bank_id` completed (the claimed row's `bank_id`).
        `attempt` is the claimed row's `attempts`: it fences the claim, so a late call for
        an earlier claim (even by the same worker id) is refused. Raises ConflictError if
        the claim was lost (or the operation is not the bank's). The completion of a
        waiting parent's last unfinished child completes the parent, in the same
        transaction."""
        op_uuid, now = check_uuid("op_id", op_id), self.now()
        params = {
            "bank_id": check_id("bank_id", bank_id), "id": op_uuid,
            "worker": check_id("worker", worker),
            "attempt": check_limit("attempt", attempt, maximum=MAX_ATTEMPTS),
            "result": check_json("result", result, max_bytes=MAX_PAYLOAD_BYTES), "now": now,
        }  # fmt: skip
        async with self.db.transaction():
            if await self.db.execute(COMPLETE, params) != 1:
                raise ConflictError(f"operation {op_id} is not claimed by {worker!r} as {attempt=}")
            await trees.child_completed(self.db, bank_id, op_uuid, now)

    async def fail(
        self,
        bank_id: str,
        op_id: uuid.UUID | str,
        worker: str,
        error: str,
        *,
        attempt: int,
        retry: bool = True,
    ) -> Row:
        """Record a failed attempt of an operation of `bank_id` (`attempt`: the claimed
        row's `attempts`, as for `complete`): back to pending after a backoff while
        attempts remain, else failed (and its waiting parent with it, in the same
        transaction). Raises NotFoundError if the bank has no such operation, ConflictError
        if the claim was lost."""
        check_id("bank_id", bank_id)
        op_uuid = check_uuid("op_id", op_id)
        check_id("worker", worker)
        check_limit("attempt", attempt, maximum=MAX_ATTEMPTS)
        if not isinstance(retry, bool):
            raise ValidationError("retry", f"expected a bool, got {type(retry).__name__}")
        message = check_optional_text("error", error or None, max_length=100_000)
        now = self.now()
        async with self.db.transaction():
            op = await self.get(bank_id, op_uuid)
            again = retry and attempt < op["max_attempts"]
            params = {
                "bank_id": bank_id, "id": op_uuid, "worker": worker, "attempt": attempt,
                "error": message,
                "now": now, "status": "pending" if again else "failed",
                "next_attempt_at": now + self.backoff(attempt) if again else now,
                "completed_at": None if again else now,
            }  # fmt: skip
            if await self.db.execute(FAIL, params) != 1:
                raise ConflictError(f"operation {op_id} is not claimed by {worker!r} as {attempt=}")
            if not again:
                await trees.child_failed(self.db, bank_id, op_uuid, message, now)
            return await self.get(bank_id, op_uuid)

    async def get(self, bank_id: str, op_id: uuid.UUID | str) -> Row:
        """The bank's operation `op_id`; NotFoundError if the bank has none of that id."""
        params = {"bank_id": check_id("bank_id", bank_id), "ids": [check_uuid("op_id", op_id)]}
        rows = await self.db.fetch(GET_MANY, params)
        if not rows:
            raise NotFoundError(f"operation {op_id} not found in bank {bank_id!r}")
        return rows[0]

    async def get_many(self, bank_id: str, ids: Sequence[uuid.UUID | str]) -> list[Row]:
        """The bank's operations among `ids` (others' ids match nothing)."""
        params = {"bank_id": check_id("bank_id", bank_id), "ids": check_uuids("ids", ids)}
        return await self.db.fetch(GET_MANY, params)

    async def children(self, bank_id: str, parent_id: uuid.UUID | str) -> list[Row]:
        """The children of the bank's operation `parent_id`, oldest first."""
        params = {
            "bank_id": check_id("bank_id", bank_id),
            "parent_id": check_uuid("parent_id", parent_id),
        }
        return await self.db.fetch(CHILDREN, params)

    async def counts(self, bank_id: str) -> dict[str, int]:
        rows = await self.db.fetch(COUNT_BY_STATUS, {"bank_id": check_id("bank_id", bank_id)})
        return {r["status"]: int(r["n"]) for r in rows}

    async def prune(self, bank_id: str, before: datetime) -> int:
        """Delete finished (completed or failed) top-level operations last updated before
        `before`, with their children, if every child is finished too; return how many
        top-level ones."""
        params = {
            "bank_id": check_id("bank_id", bank_id),
            "before": check_datetime("before", before),
        }
        return await self.db.execute(trees.PRUNE, params)
