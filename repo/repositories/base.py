"""What every repository shares: the backend, the embedding dimension and the clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from repo.backends.base import Backend


def utcnow() -> datetime:
    return datetime.now(UTC)


class Repository:
    """A repository method picks a compiled statement, binds parameters, calls one verb."""

    def __init__(self, db: Backend, *, dim: int, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.dim = dim
        self.now = clock
