"""Fusion of the recall arms: reciprocal-rank fusion with per-arm weights.

Each arm ranks its rows best first (rank 1). A unit's fused score is the sum over the arms
that returned it of `weight(arm) / (k + rank)`, with the usual `k = 60` (Cormack, Clarke
and Buettcher, "Reciprocal rank fusion outperforms Condorcet and individual rank learning
methods", SIGIR 2009). Ties are broken by the best single rank, then by first appearance.
Pure Python over the rows already fetched: fusion costs no round trip.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from repo.errors import ValidationError
from repo.rows import Row

#: The reciprocal-rank constant.
RRF_K = 60
#: The arm groups a weight may name; a weight for a group applies to each of its arms
#: (`semantic` to `semantic:world`, ...; `temporal` to `temporal` and `temporal:spread`;
#: `graph` to `graph:link`, `graph:entity` and `graph:observation`), a weight for one arm
#: overrides its group's.
ARM_GROUPS = ("semantic", "text", "temporal", "graph")
#: The arms that share one result list, each ranked by its own score.
TEMPORAL_ARMS = ("temporal", "temporal:spread")
GRAPH_ARMS = ("graph:link", "graph:entity", "graph:observation")


@dataclass(slots=True)
class FusedRow:
    """One unit of the fused ranking: its row (from the first arm that returned it), the
    fused score, and its rank (1 = best) and score in each arm that returned it."""

    id: uuid.UUID
    row: Row
    score: float
    ranks: dict[str, int] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)


def check_weights(field_name: str, weights: Mapping[str, float] | None) -> dict[str, float]:
    """Arm weights: finite, non-negative numbers keyed by an arm group or an arm name."""
    if weights is None:
        return {}
    if not isinstance(weights, Mapping):
        raise ValidationError(field_name, "expected a mapping of arm names to weights")
    out: dict[str, float] = {}
    for name, weight in weights.items():
        group = name.split(":", 1)[0] if isinstance(name, str) else None
        if group not in ARM_GROUPS:
            raise ValidationError(field_name, f"unknown arm {name!r:.40}; expected {ARM_GROUPS}")
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise ValidationError(f"{field_name}[{name!r}]", "expected a number")
        if not (math.isfinite(weight) and weight >= 0):
            raise ValidationError(f"{field_name}[{name!r}]", "must be finite and >= 0")
        out[name] = float(weight)
    return out


def _weight(arm: str, weights: Mapping[str, float]) -> float:
    if arm in weights:
        return weights[arm]
    return weights.get(arm.split(":", 1)[0], 1.0)


def rrf(
    arms: Iterable[tuple[str, Sequence[Row]]],
    weights: Mapping[str, float] | None = None,
    *,
    k: int = RRF_K,
) -> list[FusedRow]:
    """Fuse ranked arms `(arm name, rows best first)` into one ranking, best first."""
    w = weights or {}
    fused: dict[uuid.UUID, FusedRow] = {}  # in order of first appearance
    best: dict[uuid.UUID, int] = {}  # each unit's best single rank
    for name, rows in arms:
        weight = _weight(name, w)
        for rank, row in enumerate(rows, start=1):
            unit_id = row["id"]
            entry = fused.get(unit_id)
            if entry is None:
                score = float(row["score"])
                fused[unit_id] = FusedRow(
                    unit_id, row, weight / (k + rank), {name: rank}, {name: score}
                )
                best[unit_id] = rank
                continue
            if name in entry.ranks:  # an arm lists a unit once; keep its best rank
                continue
            entry.ranks[name] = rank
            entry.scores[name] = float(row["score"])
            entry.score += weight / (k + rank)
            if rank < best[unit_id]:
                best[unit_id] = rank
    # A stable sort: ties on score and best rank keep the order of first appearance.
    return sorted(fused.values(), key=lambda e: (-e.score, best[e.id]))


def result_arms(result: Any) -> list[tuple[str, list[Row]]]:
    """The ranked arms of a `RecallResult`: each semantic arm, the text arm, the temporal
    arms and the graph arms (each in its own score order)."""
    arms: list[tuple[str, list[Row]]] = [
        (f"semantic:{ft}", rows) for ft, rows in result.semantic.items()
    ]
    arms.append(("text", result.text))
    for names, shared in ((TEMPORAL_ARMS, result.temporal), (GRAPH_ARMS, result.graph)):
        for name in names:
            rows = [r for r in shared if r["arm"] == name]
            rows.sort(key=lambda r: -float(r["score"]))
            arms.append((name, rows))
    return arms
