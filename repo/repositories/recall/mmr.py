"""Maximal marginal relevance over the fused ranking (Carbonell and Goldstein, "The use of
MMR, diversity-based reranking for reordering documents and producing summaries", SIGIR
1998), in Python with numpy over the candidates already fetched.

Greedy: each next unit is the remaining one with the best

    lambda * relevance - (1 - lambda) * (highest cosine similarity to a unit already chosen)

where relevance is the fused score divided by the best fused score (so both terms are on
a 0..1 scale). `lambda = 1` keeps the fused order; lower values favour units unlike the
ones above them. The embeddings come with the combined recall's third round trip
(`UNIT_ENTITIES_EMBEDDINGS`), so MMR costs no round trip.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from repo.errors import ConfigurationError, ValidationError
from repo.repositories.recall.arms import BANK
from repo.repositories.recall.fusion import FusedRow
from repo.sql import Statement, in_uuids
from schema.tables import entities, memory_units, unit_entities


def check_lambda(field: str, value: object) -> float | None:
    """MMR's lambda: None (off) or a number in [0, 1]."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(field, "expected a number between 0 and 1")
    if not (math.isfinite(value) and 0 <= value <= 1):
        raise ValidationError(field, "must be between 0 and 1")
    return float(value)


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:  # pragma: no cover - numpy is installed with the `mmr` extra
        raise ConfigurationError("MMR needs numpy: pip install 'memrepo[mmr]'") from None
    return numpy


def mmr(
    fused: Sequence[FusedRow], embeddings: Mapping[uuid.UUID, Any], lam: float
) -> list[FusedRow]:
    """`fused` (best first) reordered by maximal marginal relevance with `lam`."""
    np = _numpy()
    n = len(fused)
    if n == 0:
        return []
    dim = len(next(iter(embeddings.values()))) if embeddings else 1
    vectors = np.zeros((n, dim), dtype=np.float64)
    for i, entry in enumerate(fused):
        if entry.id in embeddings:
            vectors[i] = np.asarray(embeddings[entry.id], dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1)
    vectors /= np.where(norms > 0, norms, 1.0)[:, None]
    similarity = vectors @ vectors.T
    scores = np.array([e.score for e in fused], dtype=np.float64)
    best = scores.max()
    relevance = scores / best if best > 0 else scores
    nearest = np.zeros(n)  # highest similarity to a chosen unit (none chosen yet: 0)
    left = np.ones(n, dtype=bool)
    order: list[int] = []
    for step in range(n):
        gain = lam * relevance - (1.0 - lam) * (nearest if step else 0.0)
        gain = np.where(left, gain, -np.inf)
        pick = int(np.argmax(gain))  # the first of equals: ties keep the fused order
        order.append(pick)
        left[pick] = False
        nearest = similarity[pick] if step == 0 else np.maximum(nearest, similarity[pick])
    return [fused[i] for i in order]


#: The entities of the candidates (as `recall.unit_entities`) with every candidate's
#: embedding, for MMR: one row per (unit, entity), a unit without entities once with
#: NULL entity columns.
_ue, _e, _u = unit_entities.c, entities.c, memory_units.c
UNIT_ENTITIES_EMBEDDINGS = Statement(
    "recall.unit_entities_embeddings",
    sa.select(
        _u.id.label("unit_id"), _e.id.label("entity_id"), _e.name, _e.entity_type, _u.embedding
    )
    .select_from(
        memory_units.outerjoin(
            unit_entities.join(
                entities, sa.and_(_e.bank_id == _ue.bank_id, _e.id == _ue.entity_id)
            ),
            sa.and_(_ue.bank_id == _u.bank_id, _ue.unit_id == _u.id),
        )
    )
    .where(_u.bank_id == BANK, in_uuids(_u.id, "ids")),
)
