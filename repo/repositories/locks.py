"""The bank lock: the first lock every writer of a bank takes, so all writers lock in one
order (bank row, then documents, units by id, links by (from, to, type), entities by
folded name) and a bank delete can wait for them instead of deadlocking with them.

Units come before entities on every path: a remover locks the units it deletes, a writer
of links locks the existing units its links reference (`lock_referenced_units`), both by
id, before either touches an entity.

Writers share it (PostgreSQL `FOR KEY SHARE`, which is also what their foreign-key checks
take); `banks.delete` takes it exclusively (`FOR UPDATE`), waits for the writers in flight,
and new writers wait for the delete, then find no bank. Oracle has no shared row lock:
both forms are `FOR UPDATE` there, so writers of one bank run one at a time.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa

from repo.backends.base import Backend
from repo.errors import ConflictError
from repo.sql import Statement, in_uuids
from schema.tables import banks, memory_units

_b = banks.c
_u = memory_units.c
_KEY = sa.select(_b.bank_id).where(_b.bank_id == sa.bindparam("bank_id", type_=_b.bank_id.type))

SHARED = Statement("banks.lock_for_write", _KEY.with_for_update(read=True, key_share=True))
EXCLUSIVE = Statement("banks.lock_for_delete", _KEY.with_for_update())
#: Existing units that new rows will reference, by id, in the mode the foreign-key checks
#: take anyway (PostgreSQL `FOR KEY SHARE`: writers referencing one unit do not wait for
#: each other; a remover's `FOR UPDATE` waits for them, or they for it).
REFERENCED_UNITS = Statement(
    "memories.lock_referenced",
    sa.select(_u.id)
    .where(_u.bank_id == sa.bindparam("bank_id", type_=_u.bank_id.type), in_uuids(_u.id, "ids"))
    .order_by(_u.id)
    .with_for_update(read=True, key_share=True),
)


async def lock_bank(db: Backend, bank_id: str, *, required: bool = True) -> bool:
    """Take the bank lock for a write (inside a transaction). If there is no such bank:
    ConflictError when `required` (a foreign key would refuse the write anyway), else
    False."""
    if await db.fetchrow(SHARED, {"bank_id": bank_id}) is not None:
        return True
    if required:
        raise ConflictError(f"bank {bank_id!r} does not exist")
    return False


async def lock_bank_for_delete(db: Backend, bank_id: str) -> bool:
    """Take the bank lock exclusively (inside a transaction); False if there is no bank."""
    return await db.fetchrow(EXCLUSIVE, {"bank_id": bank_id}) is not None


async def lock_referenced_units(db: Backend, bank_id: str, ids: Iterable[uuid.UUID]) -> None:
    """Lock the existing units among `ids` that the transaction's new links will
    reference, by id (inside a transaction, after the bank lock, before any entity or
    link): the "units by id" step of the canonical order. Missing ids are skipped (the
    link's foreign key refuses them later)."""
    unique = sorted(set(ids), key=lambda u: u.int)
    if unique:
        await db.fetch(REFERENCED_UNITS, {"bank_id": bank_id, "ids": unique})
