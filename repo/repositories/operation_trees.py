"""Trees of operations (a parent and its children): parents roll up from their children,
in the transaction that finishes the child, and `prune` deletes only finished trees.

A parent submitted with children is `waiting` (never claimed) and counts its children not
finished yet in `unfinished_children`. A child's completion decrements the counter; the
one that takes it to zero completes the parent. A child that fails for good (no attempt
left, `fail(retry=False)`, or its last lease expired) fails the parent at once; the
parent's other children still run, and `prune` keeps the tree until they finish.

Lock order: the child's row, then its parent's. The counter is decremented by one
conditional UPDATE of the parent row, which waits for a sibling's uncommitted decrement
and then applies to the row as that sibling left it (PostgreSQL re-evaluates the updated
row; Oracle changes the row's current version, restarting if its status changed), so
exactly one child sees the counter reach zero and none misses it. `claim` never waits:
it locks parents with `SKIP LOCKED` and leaves an expired child whose waiting parent is
locked to a later claim.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from repo.backends.base import Backend
from repo.rows import Row
from repo.sql import Statement, in_uuids
from schema.tables import async_operations

_o = async_operations.c
_child = async_operations.alias("child")
_NOW = sa.bindparam("now", type_=_o.updated_at.type)
_WAITING: sa.ColumnElement[Any] = sa.literal_column("'waiting'")
#: The statuses of an operation not finished yet that a worker may claim.
ACTIVE: tuple[sa.ColumnElement[Any], ...] = (
    sa.literal_column("'pending'"),
    sa.literal_column("'processing'"),
)
#: The parent of the bank's operation `id`, as a key of the outer table.
_PARENT_OF_CHILD = sa.tuple_(_o.bank_id, _o.id).in_(
    sa.select(_child.c.bank_id, _child.c.parent_id).where(
        _child.c.bank_id == sa.bindparam("bank_id", type_=_o.bank_id.type),
        _child.c.id == sa.bindparam("id", type_=_o.id.type),
    )
)
_LAST = _o.unfinished_children == sa.literal_column("1")

CHILD_COMPLETED = Statement(
    "operations.roll_up_completed",
    sa.update(async_operations)
    .where(_PARENT_OF_CHILD, _o.status == _WAITING)
    .values(
        unfinished_children=_o.unfinished_children - sa.literal_column("1"),
        status=sa.case((_LAST, sa.literal_column("'completed'")), else_=_o.status),
        completed_at=sa.case((_LAST, _NOW), else_=_o.completed_at),
        updated_at=_NOW,
    ),
)
CHILD_FAILED = Statement(
    "operations.roll_up_failed",
    sa.update(async_operations)
    .where(_PARENT_OF_CHILD, _o.status == _WAITING)
    .values(
        status=sa.literal_column("'failed'"),
        error_message=sa.bindparam("error", type_=_o.error_message.type),
        completed_at=_NOW,
        updated_at=_NOW,
    ),
)
_PARENTS = (in_uuids(_o.id, "ids"), _o.status == _WAITING)
#: Waiting parents a claim may fail now: locked without waiting, in id order.
LOCK_WAITING_PARENTS = Statement(
    "operations.lock_waiting_parents",
    sa.select(_o.id).where(*_PARENTS).order_by(_o.id).with_for_update(skip_locked=True),
)
WAITING_PARENTS = Statement("operations.waiting_parents", sa.select(_o.id).where(*_PARENTS))
_FINISHED: tuple[sa.ColumnElement[Any], ...] = (
    sa.literal_column("'completed'"),
    sa.literal_column("'failed'"),
)
PRUNE = Statement(
    "operations.prune",
    sa.delete(async_operations).where(
        _o.bank_id == sa.bindparam("bank_id"),
        _o.status.in_(_FINISHED),
        _o.updated_at < sa.bindparam("before", type_=_o.updated_at.type),
        _o.parent_id.is_(None),
        # Only whole finished trees: a child still pending or processing keeps its parent
        # (the foreign key would delete the child with it).
        ~sa.exists().where(_child.c.parent_id == _o.id, _child.c.status.in_(ACTIVE)),
    ),
)


async def child_completed(db: Backend, bank_id: str, op_id: uuid.UUID, now: datetime) -> None:
    """Count a completed child off its waiting parent; the last one completes it. Call in
    the transaction that completed the child, after its row."""
    await db.execute(CHILD_COMPLETED, {"bank_id": bank_id, "id": op_id, "now": now})


async def child_failed(
    db: Backend, bank_id: str, op_id: uuid.UUID, error: str | None, now: datetime
) -> None:
    """Fail the waiting parent of a child that failed for good. Call in the transaction
    that failed the child, after its row."""
    await db.execute(CHILD_FAILED, _failure(bank_id, op_id, error, now))


def _failure(bank_id: str, op_id: uuid.UUID, error: str | None, now: datetime) -> dict[str, Any]:
    return {"bank_id": bank_id, "id": op_id, "now": now,
            "error": f"child operation {op_id} failed: {error or 'no message'}"}  # fmt: skip


async def expirable(db: Backend, exhausted: Sequence[Row]) -> list[Row]:
    """The exhausted operations (rows with `bank_id`, `id`, `parent_id`) a claim may fail now: those
    without a waiting parent, and those whose waiting parent it could lock without
    waiting (`SKIP LOCKED`). A child whose parent another transaction holds is left to a
    later claim, so that its parent fails with it."""
    parents = sorted({r["parent_id"] for r in exhausted} - {None}, key=lambda p: p.int)
    if not parents:
        return list(exhausted)
    locked = {r["id"] for r in await db.fetch(LOCK_WAITING_PARENTS, {"ids": parents})}
    others = [p for p in parents if p not in locked]
    busy = {r["id"] for r in await db.fetch(WAITING_PARENTS, {"ids": others})} if others else set()
    return [r for r in exhausted if r["parent_id"] not in busy]


async def children_expired(db: Backend, expired: Sequence[Row], now: datetime) -> None:
    """Fail the waiting parents of expired children (locked by `expirable`), by parent id."""
    children = sorted((r for r in expired if r["parent_id"] is not None),
                      key=lambda r: (r["parent_id"].int, r["id"].int))  # fmt: skip
    if children:
        await db.executemany(
            CHILD_FAILED,
            [_failure(r["bank_id"], r["id"], "lease expired", now) for r in children],
        )
