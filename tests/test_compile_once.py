"""Nothing compiles on the hot path: compilations are bounded by the number of shapes."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from repo.models import (
    MemoryFilter,
    RecallFilter,
    RecallQuery,
    TagGroup,
    TimeWindow,
    VectorSearch,
)
from repo.sql.cache import compile_count, compiled_entries, reset_compiled
from repo.store import Store
from tests.helpers import T0, embedding, unit

pytestmark = pytest.mark.integration


async def test_thousand_mixed_calls_compile_each_shape_once(store: Store, bank: str) -> None:
    ids = await store.memories.retain(bank, [unit(i, entities=[f"e{i % 3}"]) for i in range(30)])
    reset_compiled()
    before = compile_count()
    rng = random.Random(1)
    filters = [
        MemoryFilter(),
        MemoryFilter(fact_types=["world"]),
        MemoryFilter(tags=["tag1"], since=T0),
        MemoryFilter(fact_types=["experience", "world"], until=T0 + timedelta(days=1)),
    ]
    # Recall filters: shapes are which parts are present, never the values.
    wheres = [
        None,
        RecallFilter(tags=["tag1"]),
        RecallFilter(tags=["tag2", "tag3"], untagged="exclude"),
        RecallFilter(tag_groups=[TagGroup(["tag1", "tag2"]), TagGroup(["tag4"], negate=True)]),
        RecallFilter(event_date=TimeWindow(T0, T0 + timedelta(hours=rng.randint(1, 40)))),
        RecallFilter(metadata={"k": "v"}, min_similarity=0.1),
    ]

    def knobs() -> VectorSearch | None:  # vector index knobs: settings, never compiled
        relaxed = VectorSearch(iterative_scan="relaxed_order", max_scan_tuples=rng.randint(1, 9))
        return rng.choice([None, VectorSearch(ef_search=rng.randint(10, 500)), relaxed])

    calls = 0
    while calls < 1000:
        choice = rng.randrange(7)
        if choice == 0:
            await store.memories.list(bank, rng.choice(filters), limit=rng.randint(1, 50))
        elif choice == 1:
            await store.recall.semantic(bank, embedding(rng.random()), fact_type=rng.choice(
                ["world", "experience"]), k=rng.randint(1, 30), vector_search=knobs())  # fmt: skip
        elif choice == 2:
            await store.recall.fulltext(
                bank, rng.choice(["topic1", "memory", "x y"]), k=rng.randint(1, 9)
            )
        elif choice == 3:
            await store.memories.get(bank, rng.sample(ids, rng.randint(1, 10)))
        elif choice == 4:
            await store.recall.expand(
                bank, rng.sample(ids, rng.randint(1, 5)), k=rng.randint(1, 20)
            )
        elif choice == 5:
            await store.recall.recall(bank, RecallQuery(embedding=embedding(rng.random()),
                text=rng.choice([None, "memory"]), k_semantic=rng.randint(1, 20),
                vector_search=knobs()))  # fmt: skip
        else:
            where = rng.choice(wheres)
            if where is not None and where.event_date is not None:  # a new window each time
                hours = rng.randint(1, 40)
                where = RecallFilter(event_date=TimeWindow(T0, T0 + timedelta(hours=hours)))
            arm = rng.randrange(4)
            if arm == 0:
                await store.recall.semantic(bank, embedding(rng.random()), fact_type="world",
                                            k=rng.randint(1, 9), where=where)  # fmt: skip
            elif arm == 1:
                await store.recall.fulltext(bank, "memory", k=rng.randint(1, 9), where=where)
            elif arm == 2:
                await store.memories.list(bank, MemoryFilter(where=where), limit=rng.randint(1, 9))
            else:
                await store.recall.recall(bank, RecallQuery(embedding=embedding(rng.random()),
                    text="memory", k_semantic=rng.randint(1, 9), where=where))  # fmt: skip
        calls += 1
    compiled = compile_count() - before
    # Each shape that ran was compiled exactly once, whatever the limits and list lengths.
    assert compiled == compiled_entries()
    # Each call shape is: a kind of call x which filter parts are present (6 filters here).
    assert compiled <= 20 + 6 * 6
