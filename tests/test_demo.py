"""The main job runs end to end and prints its results table."""

from __future__ import annotations

import pytest

from repo.demo import run_demo, text_embedding
from tests.providers import Provider

pytestmark = pytest.mark.integration


def test_text_embedding_is_deterministic_and_normalised() -> None:
    a, b = text_embedding("Alice met Bob"), text_embedding("Alice met Bob")
    assert a == b and abs(sum(x * x for x in a) - 1.0) < 1e-9
    swapped = text_embedding("Bob met Alice")  # a bag of words: order does not matter
    assert max(abs(x - y) for x, y in zip(a, swapped, strict=True)) < 1e-12
    assert text_embedding("something else") != a


async def test_demo_runs(provider: Provider, capsys: pytest.CaptureFixture[str]) -> None:
    if provider.backend != "postgresql":
        pytest.skip("the demo's default backend is PostgreSQL")
    assert await run_demo(provider.url, items=60) == 0
    out = capsys.readouterr().out
    assert "retained 60 memories" in out
    assert "recall 'Alice debugged the vector index'" in out
    assert "semantic:world" in out and "graph:link" in out
