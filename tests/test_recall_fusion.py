"""Reciprocal-rank fusion of the recall arms: the formula, weights, ties, and the combined
call still in at most three round trips."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from repo.errors import ValidationError
from repo.models import LinkIn, RecallFilter, RecallQuery
from repo.repositories.recall.fusion import RRF_K, check_weights, rrf
from repo.store import Store
from tests.helpers import embedding, unit
from tests.inspection import spied

IDS = [uuid.UUID(int=i) for i in range(10)]


def _rows(*indexes: int) -> list[dict[str, Any]]:
    return [{"id": IDS[i], "score": 1.0 / (n + 1)} for n, i in enumerate(indexes)]


def test_rrf_sums_weighted_reciprocal_ranks() -> None:
    fused = rrf([("semantic:world", _rows(0, 1, 2)), ("text", _rows(2, 3))])
    by_id = {f.id: f for f in fused}
    assert by_id[IDS[2]].score == pytest.approx(1 / (RRF_K + 3) + 1 / (RRF_K + 1))
    assert by_id[IDS[2]].ranks == {"semantic:world": 3, "text": 1}
    assert by_id[IDS[2]].scores == {"semantic:world": pytest.approx(1 / 3), "text": 1.0}
    # Units 1 and 3 tie (rank 2 of one arm each): the first to appear goes first.
    assert [f.id for f in fused] == [IDS[2], IDS[0], IDS[1], IDS[3]]
    tied = rrf([("semantic:world", _rows(0)), ("text", _rows(3))])
    assert [f.id for f in tied] == [IDS[0], IDS[3]]


def test_rrf_weights_by_group_and_by_arm() -> None:
    arms = [("semantic:world", _rows(0)), ("semantic:experience", _rows(1)), ("text", _rows(2))]
    fused = rrf(arms, {"semantic": 0.5, "semantic:experience": 2.0, "text": 0.0}, k=1)
    assert [(f.id, f.score) for f in fused] == [(IDS[1], 1.0), (IDS[0], 0.25), (IDS[2], 0.0)]


@pytest.mark.parametrize(
    "weights", [{"vector": 1.0}, {"text": -1.0}, {"text": float("nan")}, {"text": "1"}, [1]]
)
def test_bad_weights_are_validation_errors(weights: Any) -> None:
    with pytest.raises(ValidationError):
        check_weights("weights", weights)


@pytest.mark.integration
async def test_combined_recall_is_fused_in_three_round_trips(store: Store, bank: str) -> None:
    units = [unit(i, entities=[f"p{i % 4}"], text=f"note {i} about gardening") for i in range(40)]
    ids = await store.memories.retain(bank, units)
    await store.memories.add_links(
        bank, [LinkIn(ids[i], ids[i + 1], "temporal", 0.9) for i in range(39)]
    )
    spy_store, spy = spied(store)
    query = RecallQuery(
        embedding(3), text="gardening", k_semantic=5, k_text=7, k_graph=6, seeds=4,
        weights={"graph": 0.5}, where=RecallFilter(tags=["tag1", "tag2"]),
    )  # fmt: skip
    result = await spy_store.recall.recall(bank, query)
    assert len([c for c in spy.calls if c[0] == "fetch"]) <= 3
    fused = result.fused
    assert sorted(f.id for f in fused) == sorted(result.unit_ids())  # each candidate once
    assert [f.score for f in fused] == sorted((f.score for f in fused), reverse=True)
    for name, rows in [(f"semantic:{ft}", r) for ft, r in result.semantic.items()] + [
        ("text", result.text)
    ]:
        for rank, row in enumerate(rows, start=1):
            entry = next(f for f in fused if f.id == row["id"])
            assert entry.ranks[name] == rank and entry.scores[name] == float(row["score"])
    for f in fused:
        expected = sum(
            (0.5 if arm.startswith("graph") else 1.0) / (RRF_K + rank)
            for arm, rank in f.ranks.items()
        )
        assert f.score == pytest.approx(expected)
    assert any(len(f.ranks) > 1 for f in fused)  # the arms overlap: fusion is not a concat
