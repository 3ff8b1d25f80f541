"""Deterministic test data (embeddings are seeded pseudo-random unit vectors, not a model)."""

from __future__ import annotations

import math
import random
import uuid
from datetime import UTC, datetime, timedelta

from repo.models import MemoryIn
from schema.types import DEFAULT_EMBEDDING_DIM

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def embedding(seed: int | str, dim: int = DEFAULT_EMBEDDING_DIM) -> list[float]:
    """A unit vector determined by `seed`."""
    rng = random.Random(str(seed))
    v = [rng.gauss(0.0, 1.0) for _ in range(dim)]
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v]


def near(base: list[float], seed: int | str, noise: float = 0.05) -> list[float]:
    """A unit vector close to `base`."""
    rng = random.Random(f"near:{seed}")
    v = [x + rng.gauss(0.0, noise) for x in base]
    norm = math.sqrt(sum(x * x for x in v))
    return [x / norm for x in v]


def unit(i: int, **kw: object) -> MemoryIn:
    """The i-th memory of a synthetic bank."""
    fields: dict[str, object] = {
        "text": f"memory number {i} about topic{i % 7}",
        "embedding": embedding(i),
        "fact_type": ("world", "experience", "observation")[i % 3],
        "event_date": T0 + timedelta(hours=i),
        "tags": [f"tag{i % 5}"],
    }
    fields.update(kw)
    return MemoryIn(**fields)  # type: ignore[arg-type]


def new_id() -> str:
    return uuid.uuid4().hex[:12]
