"""Deadlocks and serialization failures are a retryable `DeadlockError` (a `ConflictError`),
on both backends, never a plain `DatabaseError`."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from repo.backends.oracle.errors import error_class
from repo.backends.postgres import translate_error
from repo.errors import ConflictError, DeadlockError
from repo.models import MemoryUpdate
from repo.store import Store
from tests.helpers import unit

pytestmark = [pytest.mark.reliability]

#: A bound on each wait of the two transactions (a hang guard, not a measurement).
WAIT_S = 60


@pytest.mark.integration
async def test_deadlock_between_two_transactions_is_a_retryable_error(
    store: Store, bank: str
) -> None:
    """Two transactions update the same two units in opposite order: the database breaks
    the deadlock by failing one of them with DeadlockError (before: DatabaseError); the
    other commits, and the failed one succeeds when retried."""
    a, b = await store.memories.retain(bank, [unit(1), unit(2)])
    first_done = [asyncio.Event(), asyncio.Event()]

    async def writer(me: int, order: tuple[uuid.UUID, uuid.UUID]) -> None:
        async with store.transaction():
            await store.memories.update(bank, order[0], MemoryUpdate(text=f"writer {me}"))
            first_done[me].set()
            await asyncio.wait_for(first_done[1 - me].wait(), WAIT_S)
            await store.memories.update(bank, order[1], MemoryUpdate(text=f"writer {me}"))

    results = await asyncio.wait_for(
        asyncio.gather(writer(0, (a, b)), writer(1, (b, a)), return_exceptions=True), WAIT_S
    )
    failed = [i for i, r in enumerate(results) if isinstance(r, BaseException)]
    assert len(failed) == 1, results
    error = results[failed[0]]
    assert isinstance(error, DeadlockError) and isinstance(error, ConflictError), repr(error)
    winner = 1 - failed[0]
    texts = {(await store.memories.get_one(bank, u))["text"] for u in (a, b)}
    assert texts == {f"writer {winner}"}  # the winner committed, the victim wrote nothing

    # Retryable: the same transaction run again succeeds.
    first_done[winner].set()
    first_done[failed[0]].clear()
    await writer(failed[0], (a, b) if failed[0] == 0 else (b, a))
    texts = {(await store.memories.get_one(bank, u))["text"] for u in (a, b)}
    assert texts == {f"writer {failed[0]}"}


@pytest.mark.parametrize(
    "exc",
    [asyncpg.DeadlockDetectedError("deadlock detected"), asyncpg.SerializationError("40001")],
    ids=["40P01", "40001"],
)
def test_postgres_deadlock_and_serialization_failures_map_to_deadlock_error(
    exc: Exception,
) -> None:
    with pytest.raises(DeadlockError) as info:
        translate_error(exc)
    assert info.value.__cause__ is exc


@pytest.mark.parametrize("code", [60, 8177], ids=["ORA-00060", "ORA-08177"])
def test_oracle_deadlock_and_serialization_failures_map_to_deadlock_error(code: int) -> None:
    assert error_class(f"ORA-{code:05d}", code, "deadlock") is DeadlockError
    assert issubclass(DeadlockError, ConflictError)
