"""Nothing compiles on the hot path: compilations are bounded by the number of shapes."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from repo.models import (
    GraphQuery,
    MemoryFilter,
    RecallFilter,
    RecallQuery,
    TagGroup,
    TemporalQuery,
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

    def temporal() -> TemporalQuery:  # windows, k, spread and floors are values
        start = T0 + timedelta(hours=rng.randint(0, 20))
        end = start + timedelta(hours=rng.randint(1, 30))
        k, spread = rng.randint(1, 20), rng.randint(1, 9)
        return rng.choice([
            TemporalQuery(start, end, k=k, spread=spread),
            TemporalQuery(start, end, on=["event_date"], k=k, spread=0),
            TemporalQuery(start, end, rank="similarity", min_similarity=rng.uniform(-1, 1), k=k),
        ])  # fmt: skip

    def graph() -> GraphQuery | None:  # link weights and the fan-out cap are values
        weights = {t: rng.uniform(0, 2) for t in rng.sample(["temporal", "causal", "entity"], 2)}
        return rng.choice([None, GraphQuery(link_weights=weights, entity_fanout=rng.randint(1, 9)),
                           GraphQuery(observations=False)])  # fmt: skip

    calls = 0
    while calls < 1000:
        choice = rng.randrange(9)
        if choice == 0:
            await store.memories.list(bank, rng.choice(filters), limit=rng.randint(1, 50))
        elif choice == 1:
            await store.recall.semantic(bank, embedding(rng.random()), fact_type=rng.choice(
                ["world", "experience"]), k=rng.randint(1, 30), vector_search=knobs())  # fmt: skip
        elif choice == 2:
            # Text modes are in the bound query, not the SQL; fact types are a shape.
            await store.recall.fulltext(
                bank, rng.choice(["topic1", "memory", "x y"]), k=rng.randint(1, 9),
                mode=rng.choice(["all", "any"]), fact_types=rng.choice([None, ["world"]]),
            )  # fmt: skip
        elif choice == 3:
            await store.memories.get(bank, rng.sample(ids, rng.randint(1, 10)))
        elif choice == 4:
            await store.recall.expand(
                bank, rng.sample(ids, rng.randint(1, 5)), k=rng.randint(1, 20)
            )
        elif choice == 5:
            await store.recall.recall(bank, RecallQuery(embedding=embedding(rng.random()),
                text=rng.choice([None, "memory"]), k_semantic=rng.randint(1, 20),
                text_mode=rng.choice(["all", "any"]), vector_search=knobs()))  # fmt: skip
        elif choice == 7:
            t = temporal()
            await store.recall.temporal(bank, t.start, t.end, on=t.on, rank=t.rank,
                embedding=embedding(rng.random()), min_similarity=t.min_similarity, k=t.k,
                spread=t.spread)  # fmt: skip
        elif choice == 8:
            await store.recall.recall(bank, RecallQuery(embedding=embedding(rng.random()),
                text="memory", temporal=rng.choice([None, temporal()]), graph=graph(),
                mmr_lambda=rng.choice([None, rng.random()])))  # fmt: skip
            await store.recall.expand(bank, rng.sample(ids, 3), graph=graph())
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
    # Each call shape is: a kind of call x which filter parts are present (6 filters here),
    # plus 3 temporal shapes (alone and in the combined recall), 2 graph shapes per expand
    # (observations on or off) and MMR's embedding fetch.
    # The text arm per fact type adds one shape (modes are bound values, not shapes).
    assert compiled <= 21 + 6 * 6 + 3 * 2 + 2 * 2 + 1
