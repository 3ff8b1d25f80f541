"""Banks: the unit of ownership. Deleting a bank deletes everything in it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from repo.errors import ConflictError, NotFoundError, ValidationError
from repo.repositories.bank_stats import FOLD_BATCH, FOLD_THRESHOLD, STATS, BankStats, fold
from repo.repositories.base import Repository
from repo.repositories.locks import lock_bank_for_delete
from repo.rows import Row
from repo.sql import Statement, StatementFamily, flag_shapes, upsert
from repo.validation.json_objects import check_json
from repo.validation.scalars import check_limit
from repo.validation.text import check_id, check_text
from schema.tables import ALL_TABLES, async_operations, banks

_b = banks.c

CREATE = Statement(
    "banks.create",
    upsert(banks, ["bank_id", "name", "metadata", "created_at", "updated_at"], ["bank_id"]),
)
GET = Statement("banks.get", sa.select(banks).where(_b.bank_id == sa.bindparam("bank_id")))


def _list(after: bool) -> sa.Select[Any]:
    # A shape, not `bank_id > ''`: Oracle reads '' as NULL and would match nothing.
    stmt = sa.select(banks).order_by(_b.bank_id).limit(sa.bindparam("limit"))
    return stmt.where(_b.bank_id > sa.bindparam("after")) if after else stmt


LIST = StatementFamily("banks.list", _list, flag_shapes("after"))
LOCK = Statement(
    "banks.lock",
    # FOR NO KEY UPDATE: a rename waits for no writer of the bank (they hold FOR KEY SHARE).
    sa.select(_b.name, _b.metadata)
    .where(_b.bank_id == sa.bindparam("bank_id"))
    .with_for_update(key_share=True),
)
UPDATE = Statement(
    "banks.update",
    sa.update(banks)
    .where(_b.bank_id == sa.bindparam("bank_id"))
    .values(
        name=sa.bindparam("name", type_=_b.name.type),
        metadata=sa.bindparam("metadata", type_=_b.metadata.type),
        updated_at=sa.bindparam("updated_at", type_=_b.updated_at.type),
    ),
)
DELETE = Statement("banks.delete", sa.delete(banks).where(_b.bank_id == sa.bindparam("bank_id")))
_o = async_operations.c
#: Child operations before their parents: a worker finishing a child locks the child's
#: row, then its parent's, and the delete takes them in the same order.
_CHILD_OPERATIONS = Statement(
    "banks.delete_rows.async_operations.children",
    sa.delete(async_operations).where(
        _o.bank_id == sa.bindparam("bank_id"), _o.parent_id.is_not(None)
    ),
)
#: Every bank-owned table, children before parents (the reverse of the foreign-key order).
DELETE_CHILDREN = [
    stmt
    for table in reversed(ALL_TABLES)
    if table is not banks
    for stmt in (
        *([_CHILD_OPERATIONS] if table is async_operations else []),
        Statement(
            f"banks.delete_rows.{table.name}",
            sa.delete(table).where(table.c.bank_id == sa.bindparam("bank_id")),
        ),
    )
]


class BankRepository(Repository):
    async def create(
        self, bank_id: str, name: str | None = None, metadata: Mapping[str, Any] | None = None
    ) -> Row:
        """Create a bank (a no-op if it exists); return it."""
        params = {
            "bank_id": check_id("bank_id", bank_id),
            "name": check_text("name", name if name is not None else bank_id, max_length=255),
            "metadata": check_json("metadata", metadata),
            "created_at": self.now(),
            "updated_at": self.now(),
        }
        async with self.db.transaction():
            await self.db.execute(CREATE, params)
            row = await self.db.fetchrow(GET, {"bank_id": bank_id})
        if row is None:  # pragma: no cover - deleted concurrently
            raise ConflictError(f"bank {bank_id!r} vanished while being created")
        return row

    async def get(self, bank_id: str) -> Row:
        row = await self.db.fetchrow(GET, {"bank_id": check_id("bank_id", bank_id)})
        if row is None:
            raise NotFoundError(f"bank {bank_id!r} not found")
        return row

    async def list(self, *, after: str = "", limit: int = 100) -> list[Row]:
        """Banks ordered by id, keyset-paginated: pass the last id seen as `after`."""
        params: dict[str, Any] = {"limit": check_limit("limit", limit)}
        if after:
            params["after"] = check_id("after", after)
        return await self.db.fetch(LIST.shape(after=bool(after)), params)

    async def update(
        self,
        bank_id: str,
        *,
        name: str | None = None,
        metadata_patch: Mapping[str, Any] | None = None,
    ) -> Row:
        """Rename a bank and/or change its metadata by a JSON merge patch (RFC 7386: an
        object merges key by key, recursively; `None` removes a key). One transaction
        with the bank row locked; returns the updated bank."""
        check_id("bank_id", bank_id)
        new_name = check_text("name", name, max_length=255) if name is not None else None
        patch = check_json("metadata_patch", metadata_patch)
        if new_name is None and patch is None:
            raise ValidationError("update", "give a name or a metadata patch")
        async with self.db.transaction():
            current = await self.db.fetchrow(LOCK, {"bank_id": bank_id})
            if current is None:
                raise NotFoundError(f"bank {bank_id!r} not found")
            metadata = current["metadata"]
            if patch is not None:
                merged = merge_patch(metadata, patch)
                metadata = check_json("metadata_patch", merged)
            params = {
                "bank_id": bank_id,
                "name": new_name if new_name is not None else current["name"],
                "metadata": metadata,
                "updated_at": self.now(),
            }
            await self.db.execute(UPDATE, params)
            row = await self.db.fetchrow(GET, {"bank_id": bank_id})
        assert row is not None
        return row

    async def stats(self, bank_id: str) -> BankStats:
        """Units per fact type, links per type, entities, observations, documents, pending
        operations, waiting parents, failed operations and the last write time, in one
        round trip, read from the bank's counters (their rows are folded afterwards once
        they pass a threshold)."""
        row = await self.db.fetchrow(STATS, {"bank_id": check_id("bank_id", bank_id)})
        if row is None or row["name"] is None:
            raise NotFoundError(f"bank {bank_id!r} not found")
        if int(row["counter_rows"]) > FOLD_THRESHOLD:
            await fold(self.db, bank_id)
        return BankStats.from_row(row)

    async def fold_stats(self, bank_id: str) -> int:
        """Fold the bank's counter rows into one per figure (the figures stay the same);
        return how many rows were folded. Safe beside writers and other folds."""
        check_id("bank_id", bank_id)
        total = 0
        while (n := await fold(self.db, bank_id)) > 0:
            total += n
            if n < FOLD_BATCH:
                break
        return total

    async def delete(self, bank_id: str) -> bool:
        """Delete a bank and everything in it; False if it did not exist.

        Takes the bank lock exclusively first (waiting for the bank's writers in flight;
        later ones wait, then find no bank), then deletes children before parents.
        """
        params = {"bank_id": check_id("bank_id", bank_id)}
        async with self.db.transaction():
            if not await lock_bank_for_delete(self.db, bank_id):
                return False
            for stmt in DELETE_CHILDREN:
                await self.db.execute(stmt, params)
            return await self.db.execute(DELETE, params) > 0


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch of `target` by `patch`."""
    if not isinstance(patch, Mapping):
        return patch
    out = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out
