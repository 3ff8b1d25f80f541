"""Read replicas: which reads may leave the primary, and the fallback when a replica fails.

A read goes to a replica when it is a plain SELECT (no `FOR UPDATE`), outside a
transaction: what a transaction reads must see its own writes and hold its locks, so it
stays on the primary. Replicas take turns. A replica that fails (connection refused or
lost, a recovery conflict, any database error that is not about the input) is logged
and warned about, and the read runs on the primary instead.
"""

from __future__ import annotations

import itertools
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from repo.errors import (
    ConflictError,
    DatabaseError,
    DeadlockError,
    MemrepoError,
    StatementTimeoutError,
    ValidationError,
)
from repo.sql.cache import Statement

logger = logging.getLogger("memrepo")

T = TypeVar("T")


class ReplicaFallbackWarning(UserWarning):
    """A read meant for a replica ran on the primary because the replica failed."""


def replica_safe(stmt: Statement) -> bool:
    """A read a replica may answer: a SELECT (or UNION) without `FOR UPDATE`."""
    core = stmt.stmt
    return (
        bool(getattr(core, "is_select", False)) and getattr(core, "_for_update_arg", None) is None
    )


def _replica_failed(exc: MemrepoError) -> bool:
    """Whether an error says the replica failed (not the input or the statement itself).
    A serialization failure of a read outside a transaction is a hot standby's recovery
    conflict (SQLSTATE 40001, "canceling statement due to conflict with recovery")."""
    if isinstance(exc, DeadlockError):
        return True
    return isinstance(exc, DatabaseError) and not isinstance(
        exc, ValidationError | ConflictError | StatementTimeoutError
    )


class Replicas:
    """The replicas of one primary (each a backend of the same kind), taken in turn."""

    def __init__(self, backends: Sequence[Any]) -> None:
        self.backends = list(backends)
        self._turn = itertools.cycle(range(len(self.backends)))

    def __bool__(self) -> bool:
        return bool(self.backends)

    def next(self) -> Any:
        return self.backends[next(self._turn)]

    def map(self, make: Callable[[Any], Any]) -> Replicas:
        """The same replicas seen through `make` (e.g. another tenant schema)."""
        return Replicas([make(b) for b in self.backends])

    @staticmethod
    async def read(
        replica: Any,
        on_replica: Callable[[Any], Awaitable[T]],
        on_primary: Callable[[], Awaitable[T]],
        what: str,
    ) -> T:
        """`on_replica(replica)`, or `on_primary()` with a warning when the replica fails."""
        try:
            return await on_replica(replica)
        except MemrepoError as exc:
            if not _replica_failed(exc):
                raise
            fallback_warning(exc, what)
        return await on_primary()


def fallback_warning(exc: MemrepoError, what: str) -> None:
    """Log and warn that `what` ran on the primary because a replica failed with `exc`."""
    if not _replica_failed(exc):
        raise exc
    message = f"replica failed ({type(exc).__name__}: {exc}); {what} read from the primary"
    logger.warning(message)
    warnings.warn(message, ReplicaFallbackWarning, stacklevel=4)
