"""The bank lock: the first lock every writer of a bank takes, so all writers lock in one
order (bank row, then documents, units by id, entities by folded name, links by
(from, to, type)) and a bank delete can wait for them instead of deadlocking with them.

Writers share it (PostgreSQL `FOR KEY SHARE`, which is also what their foreign-key checks
take); `banks.delete` takes it exclusively (`FOR UPDATE`), waits for the writers in flight,
and new writers wait for the delete, then find no bank. Oracle has no shared row lock:
both forms are `FOR UPDATE` there, so writers of one bank run one at a time.
"""

from __future__ import annotations

import sqlalchemy as sa

from repo.backends.base import Backend
from repo.errors import ConflictError
from repo.sql import Statement
from schema.tables import banks

_b = banks.c
_KEY = sa.select(_b.bank_id).where(_b.bank_id == sa.bindparam("bank_id", type_=_b.bank_id.type))

SHARED = Statement("banks.lock_for_write", _KEY.with_for_update(read=True, key_share=True))
EXCLUSIVE = Statement("banks.lock_for_delete", _KEY.with_for_update())


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
