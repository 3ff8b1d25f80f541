"""MMR diversification of the fused recall: lambda = 1 is the fused order, lower lambdas
make the top of the list more diverse, the order equals an independent greedy MMR over
the stored embeddings, no extra round trip, bad lambdas rejected before any SQL."""

from __future__ import annotations

import itertools
import random
import uuid
from typing import Any

import numpy as np
import pytest

from repo.errors import ValidationError
from repo.models import RecallQuery
from repo.repositories.recall.fusion import FusedRow
from repo.repositories.recall.mmr import mmr
from repo.store import Store
from tests.helpers import embedding, near, unit
from tests.inspection import spied


def _naive_mmr(ids: list[Any], scores: list[float], vecs: dict[Any, Any], lam: float) -> list[Any]:
    """Textbook greedy MMR, one candidate at a time, no vectorisation."""

    def cos(a: Any, b: Any) -> float:
        a, b = np.asarray(a, float), np.asarray(b, float)
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))

    top = max(scores)
    rel = {i: s / top for i, s in zip(ids, scores, strict=True)}
    chosen: list[Any] = []
    left = list(ids)
    while left:

        def gain(i: Any) -> float:
            penalty = max((cos(vecs[i], vecs[j]) for j in chosen), default=0.0)
            return lam * rel[i] - (1 - lam) * penalty

        best = max(left, key=lambda i: (gain(i), -left.index(i)))
        chosen.append(best)
        left.remove(best)
    return chosen


def _fused(n: int, rng: random.Random) -> tuple[list[FusedRow], dict[uuid.UUID, list[float]]]:
    ids = [uuid.UUID(int=i + 1) for i in range(n)]
    scores = sorted((rng.random() for _ in range(n)), reverse=True)
    rows = [FusedRow(i, {"id": i}, s) for i, s in zip(ids, scores, strict=True)]
    return rows, {i: [rng.gauss(0, 1) for _ in range(8)] for i in ids}


@pytest.mark.parametrize("lam", [0.0, 0.3, 0.7, 1.0])
def test_mmr_matches_a_textbook_greedy_mmr(lam: float) -> None:
    rng = random.Random(lam)
    fused, vecs = _fused(25, rng)
    got = [f.id for f in mmr(fused, vecs, lam)]
    assert got == _naive_mmr([f.id for f in fused], [f.score for f in fused], vecs, lam)
    if lam == 1.0:
        assert got == [f.id for f in fused]


def _mean_pairwise(vectors: list[Any]) -> float:
    m = np.asarray(vectors, float)
    m /= np.linalg.norm(m, axis=1)[:, None]
    return float(np.mean([m[i] @ m[j] for i, j in itertools.combinations(range(len(m)), 2)]))


@pytest.mark.integration
async def test_mmr_diversifies_the_fused_recall_in_three_round_trips(
    store: Store, bank: str
) -> None:
    q = embedding("q")
    twins = [near(q, f"twin{i}", noise=0.01) for i in range(8)]  # near-duplicates of q
    spread = [near(near(q, f"dir{i}", noise=0.06), i, noise=0.01) for i in range(16)]
    units = [
        unit(i, embedding=v, fact_type="world", text=f"tea note {i}", entities=[f"e{i % 3}"])
        for i, v in enumerate(twins + spread)
    ]
    ids = await store.memories.retain(bank, units)
    stored = {r["id"]: r["embedding"] for r in await store.memories.get(bank, ids)}
    base = RecallQuery(q, text="tea", fact_types=["world"], k_semantic=24, k_text=24)
    plain = await store.recall.recall(bank, base)
    spy_store, spy = spied(store)
    same = await spy_store.recall.recall(bank, RecallQuery(**{**_fields(base), "mmr_lambda": 1.0}))
    assert len([c for c in spy.calls if c[0] == "fetch"]) <= 3
    assert [f.id for f in same.fused] == [f.id for f in plain.fused]
    key = lambda r: (r["unit_id"], r["entity_id"])  # noqa: E731
    assert sorted(map(key, same.entities)) == sorted(map(key, plain.entities))
    assert same.embeddings.keys() == {f.id for f in plain.fused}

    diverse = await store.recall.recall(bank, RecallQuery(**{**_fields(base), "mmr_lambda": 0.3}))
    order = [f.id for f in diverse.fused]
    fused_ids, fused_scores = [f.id for f in plain.fused], [f.score for f in plain.fused]
    assert order == _naive_mmr(fused_ids, fused_scores, stored, 0.3)
    top = 5
    before = _mean_pairwise([stored[i] for i in fused_ids[:top]])
    after = _mean_pairwise([stored[i] for i in order[:top]])
    assert after < before  # the top of the list is more diverse
    twin_ids = set(ids[: len(twins)])
    assert len(twin_ids & set(order[:top])) < len(twin_ids & set(fused_ids[:top]))


def _fields(q: RecallQuery) -> dict[str, Any]:
    return {name: getattr(q, name) for name in q.__slots__}  # type: ignore[attr-defined]


@pytest.mark.integration
@pytest.mark.parametrize("lam", [-0.1, 1.5, float("nan"), "0.5", True])
async def test_bad_lambda_is_a_validation_error_before_any_sql(
    store: Store, bank: str, lam: Any
) -> None:
    spy_store, spy = spied(store)
    with pytest.raises(ValidationError):
        await spy_store.recall.recall(bank, RecallQuery(embedding(1), mmr_lambda=lam))
    assert spy.calls == []
