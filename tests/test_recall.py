"""Recall arms: semantic per fact type, full text, temporal, graph, and the combined call."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from repo.models import LinkIn, RecallFilter, RecallQuery
from repo.store import Store
from schema.tables import FACT_TYPES, VECTOR_INDEXES
from tests.helpers import T0, embedding, near, unit

pytestmark = pytest.mark.integration


async def test_semantic_returns_nearest_first(store: Store, bank: str) -> None:
    target = embedding("target")
    units = [
        unit(i, embedding=near(target, i, noise=0.01 * (i + 1)), fact_type="world")
        for i in range(10)
    ]
    units += [unit(100 + i, fact_type="experience") for i in range(10)]
    ids = await store.memories.retain(bank, units)
    rows = await store.recall.semantic(bank, target, fact_type="world", k=5)
    assert [r["id"] for r in rows] == ids[:5]
    scores = [float(r["score"]) for r in rows]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0.9
    assert {r["arm"] for r in rows} == {"semantic:world"}
    assert "embedding" not in list(rows[0].keys())


async def test_fulltext_finds_words_and_survives_any_text(store: Store, bank: str) -> None:
    await store.memories.retain(bank, [
        unit(1, text="The quick brown fox jumps over the lazy dog"),
        unit(2, text="A slow green turtle walks"),
    ])  # fmt: skip
    rows = await store.recall.fulltext(bank, "fox dog", k=5)
    assert [r["text"] for r in rows] == ["The quick brown fox jumps over the lazy dog"]
    hostile = ["'", '"', "\\", "&|!():*<->", "foo & | bar", "' OR 1=1 --", "...", "NEAR(a,b)",
               "{fox}", "x" * 10_000, "über straße", "-fox", '"unterminated']  # fmt: skip
    for text in hostile:
        assert isinstance(await store.recall.fulltext(bank, text, k=3), list), text


async def test_temporal_range(store: Store, bank: str) -> None:
    await store.memories.retain(bank, [unit(i) for i in range(10)])
    rows = await store.recall.temporal(bank, T0 + timedelta(hours=2), T0 + timedelta(hours=6))
    hours = [(r["event_date"] - T0) / timedelta(hours=1) for r in rows]
    # Closest to the window's middle (4h) first; 3h and 5h tie (then by id); 6h is outside.
    assert hours[0] == 4 and set(hours[1:3]) == {3, 5} and hours[3:] == [2]
    assert [float(r["score"]) for r in rows] == [1.0, 0.5, 0.5, 0.0]


async def test_combined_recall_returns_every_arm(store: Store, bank: str) -> None:
    units = [
        unit(i, entities=[f"person{i % 4}"], text=f"note {i} about gardening") for i in range(40)
    ]
    ids = await store.memories.retain(bank, units)
    await store.memories.add_links(
        bank, [LinkIn(ids[i], ids[i + 1], "temporal", 0.9) for i in range(39)]
    )
    query = RecallQuery(
        embedding=embedding(3), text="gardening", k_semantic=5, k_text=7, k_graph=6, seeds=4
    )
    result = await store.recall.recall(bank, query)
    assert {ft: len(rows) for ft, rows in result.semantic.items()} == {
        "world": 5, "experience": 5, "observation": 5,
    }  # fmt: skip
    assert result.semantic["world"][0]["id"] == ids[3]
    assert len(result.text) == 7
    arms = {r["arm"] for r in result.graph}
    assert arms == {"graph:link", "graph:entity"}
    assert result.entities and {r["unit_id"] for r in result.entities} <= set(result.unit_ids())
    only_world = await store.recall.recall(
        bank, RecallQuery(embedding=embedding(3), fact_types=["world"])
    )
    assert list(only_world.semantic) == ["world"] and only_world.text == []


async def test_filtered_vector_search_still_returns_k(fresh_store: Store) -> None:
    """Plain HNSW + a selective filter returns fewer than k rows; iterative scans do not.

    The bank holds 2,000 units: 30% experience, 1% observation, 1% tagged `rare`.
    """
    # A schema of its own: other banks' rows, live or dead (deleted by earlier tests), in
    # the same HNSW graphs change how far an index scan gets.
    store, bank = fresh_store, "b"
    await store.banks.create(bank)
    n = 2000
    units = []
    for i in range(n):
        fact = "observation" if i % 100 == 0 else ("experience" if i % 10 < 3 else "world")
        tags = ["rare"] if i % 100 == 55 else ["common"]
        units.append(unit(i, fact_type=fact, entities=[], tags=tags))
    await store.memories.retain(bank, units)
    query = embedding("probe")
    for fact_type, k, matching in (
        ("experience", 20, 600),
        ("observation", 20, 20),
        ("observation", 50, 20),
    ):
        rows = await store.recall.semantic(bank, query, fact_type=fact_type, k=k)
        assert len(rows) == min(k, matching), (fact_type, k)
        assert {r["fact_type"] for r in rows} == {fact_type}
    rare = RecallFilter(tags=["rare"], untagged="exclude")
    rows = await store.recall.semantic(bank, query, fact_type="world", k=50, where=rare)
    assert len(rows) == 20 and all(r["tags"] == ["rare"] for r in rows)

    if store.backend.name != "postgresql":
        return
    # The proof that the filter is the hard case: steered onto the HNSW index (at this
    # size the planner would sort a seq scan), the index path without pgvector's
    # iterative scans returns fewer than k rows of a 1% tag filter. With them it usually
    # returns k, but a scan can still stop at hnsw.max_scan_tuples when the filter is very
    # selective in a large table: the repository then searches exactly. The fact type is
    # no filter any more: each has its own graph (revision 0009), so the experience arm
    # returns k rows even without iterative scans (on one shared graph it did not).
    from repo.backends.postgres import DIALECT, PostgresBackend
    from repo.repositories.recall import SEMANTIC
    from repo.repositories.recall.filters import bind_filter

    assert isinstance(store.backend, PostgresBackend)
    shape, fparams = bind_filter(rare)
    for fact_type, flags, extra, short in (
        ("experience", {}, {}, False),
        ("world", {"where": shape}, fparams, True),
    ):
        compiled = SEMANTIC.shape(fact_type=fact_type, **flags).compiled(DIALECT)
        args = compiled.args({"bank_id": bank, "embedding": query, "k": 20} | extra)
        async with store.backend.pool.acquire() as conn, conn.transaction():
            await conn.execute("SET LOCAL enable_seqscan = off")
            await conn.execute("SET LOCAL enable_sort = off")
            plan = "\n".join(r[0] for r in await conn.fetch("EXPLAIN " + compiled.sql, *args))
            assert f"Index Scan using {VECTOR_INDEXES[fact_type]} " in plan, plan
            await conn.execute("SET LOCAL hnsw.iterative_scan = off")
            await conn.execute("SET LOCAL hnsw.ef_search = 40")  # pgvector's default
            got = len(await conn.fetch(compiled.sql, *args))
            assert (got < 20) if short else (got == 20), (fact_type, got)


async def test_each_semantic_arm_plans_onto_its_fact_types_index(store: Store, bank: str) -> None:
    """Revision 0009: one partial HNSW index per fact type. Every semantic arm (alone, and
    inside the combined recall's UNION ALL, filtered or not) scans its own fact type's
    index, never another's (steered onto indexes: the bank is small)."""
    if store.backend.name != "postgresql":
        pytest.skip("PostgreSQL plans; Oracle keeps one vector index (docs/oracle.md)")
    import json

    from repo.backends.postgres import DIALECT, PostgresBackend
    from repo.bench.plans import arm_indexes
    from repo.repositories.recall import ARMS, SEMANTIC
    from repo.repositories.recall.filters import bind_filter

    assert isinstance(store.backend, PostgresBackend)
    await store.memories.retain(bank, [unit(i, fact_type=FACT_TYPES[i % 3]) for i in range(30)])
    shape, fparams = bind_filter(RecallFilter(tags=["t1"], untagged="include"))
    params = {"bank_id": bank, "embedding": embedding(1), "k": 5, "query": "x"}
    params |= {"k_semantic": 5, "k_text": 5}

    async def plan(sql: str, args: list[object]) -> dict[str, object]:
        async with store.backend.pool.acquire() as conn, conn.transaction():
            await conn.execute("SET LOCAL enable_seqscan = off")
            await conn.execute("SET LOCAL enable_sort = off")
            raw = await conn.fetchval("EXPLAIN (VERBOSE, FORMAT JSON) " + sql, *args)
        return dict((json.loads(raw) if isinstance(raw, str) else raw)[0])

    def hnsw(found: dict[str, list[str]]) -> dict[str, list[str]]:
        return {a: [i for i in v if i in VECTOR_INDEXES.values()] for a, v in found.items()}

    cases = [(None, {}, {}), (shape, {"where": shape}, fparams)]
    for (where, flags, extra), fallback in itertools.product(cases, ({}, {"fallback": True})):
        # With the exact search inline (what PostgreSQL runs) or without (Oracle's form).
        for ft in FACT_TYPES:
            c = SEMANTIC.shape(fact_type=ft, **flags, **fallback).compiled(DIALECT)
            found = hnsw(arm_indexes(await plan(c.sql, c.args(params | extra))))
            assert found.pop(f"semantic:{ft}") == [VECTOR_INDEXES[ft]], (where, ft, found)
            assert not any(found.values()), (where, ft, found)
        c = ARMS.shape(fact_types=FACT_TYPES, text=True, **flags, **fallback).compiled(DIALECT)
        found = hnsw(arm_indexes(await plan(c.sql, c.args(params | extra))))
        for ft in FACT_TYPES:
            assert found.pop(f"semantic:{ft}") == [VECTOR_INDEXES[ft]], (where, found)
        assert not any(found.values()), (where, found)


async def test_exact_search_backs_up_a_short_index_scan(fresh_store: Store) -> None:
    """When the index path returns fewer than k rows, the exact search fills them in."""
    # A schema of its own: other banks' rows, live or dead (deleted by earlier tests), in
    # the same HNSW graphs change how far an index scan gets.
    store, bank = fresh_store, "b"
    await store.banks.create(bank)
    if store.backend.name != "postgresql":
        pytest.skip("steers PostgreSQL's planner")
    await store.memories.retain(bank, [unit(i, fact_type="world") for i in range(30)])
    query = embedding("probe")
    expected = await store.recall.semantic(bank, query, fact_type="world", k=30)
    async with store.transaction():
        # An HNSW scan that stops after a handful of candidates, as an iterative scan does at
        # hnsw.max_scan_tuples on a huge, selectively filtered table.
        from repo.backends.postgres import PostgresBackend

        assert isinstance(store.backend, PostgresBackend)
        conn = store.backend._conn.get()
        await conn.execute("SET LOCAL enable_seqscan = off")
        await conn.execute("SET LOCAL enable_sort = off")
        await conn.execute("SET LOCAL hnsw.iterative_scan = off")
        await conn.execute("SET LOCAL hnsw.ef_search = 5")
        from repo.repositories.recall import SEMANTIC

        index_path = await store.backend.fetch(
            SEMANTIC.shape(fact_type="world"), {"bank_id": bank, "embedding": query, "k": 30}
        )
        from repo.backends.postgres import DIALECT

        c = SEMANTIC.shape(fact_type="world").compiled(DIALECT)
        plan = await conn.fetch(
            "EXPLAIN " + c.sql, *c.args({"bank_id": bank, "embedding": query, "k": 30})
        )
        assert len(index_path) < 30, "\n".join(r[0] for r in plan)  # the index path runs short
        rows = await store.recall.semantic(bank, query, fact_type="world", k=30)
        combined = await store.recall.recall(bank, RecallQuery(embedding=query, k_semantic=30))
    assert [r["id"] for r in rows] == [r["id"] for r in expected]
    assert [r["id"] for r in combined.semantic["world"]] == [r["id"] for r in expected]


async def test_exact_search_scans_only_ids_and_distances(store: Store, bank: str) -> None:
    """The exact search's filtered scan carries two values per match (id, distance); the
    unit columns are read for the k nearest only."""
    if store.backend.name != "postgresql":
        pytest.skip("reads PostgreSQL's plan")
    import json

    from repo.backends.postgres import DIALECT, PostgresBackend
    from repo.repositories.recall import SEMANTIC_EXACT

    assert isinstance(store.backend, PostgresBackend)
    await store.memories.retain(bank, [unit(i, fact_type="world") for i in range(40)])
    compiled = SEMANTIC_EXACT.shape(fact_type="world").compiled(DIALECT)
    args = compiled.args({"bank_id": bank, "embedding": embedding("probe"), "k": 5})
    async with store.backend.pool.acquire() as conn:
        raw = await conn.fetchval("EXPLAIN (VERBOSE, FORMAT JSON) " + compiled.sql, *args)
        rows = await conn.fetch(compiled.sql, *args)
    plan = json.loads(raw)[0]["Plan"]
    nodes, stack = [], [plan]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("Plans", []))
    # The top-k sort over the filtered scan carries id and distance, nothing else, and no
    # vector index serves the exact path.
    (top_k,) = [n for n in nodes if n.get("Node Type") == "Sort" and "Sort Key" in n
                and "distance" in " ".join(n["Sort Key"])]  # fmt: skip
    assert len(top_k["Output"]) == 2, top_k["Output"]
    assert not any("hnsw" in str(n.get("Index Name", "")) for n in nodes)
    assert len(rows) == 5
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)


async def test_the_inline_exact_search_runs_only_when_the_index_path_ran_short(
    fresh_store: Store,
) -> None:
    """EXPLAIN ANALYZE of the statements with the exact search inline (`semantic()` and
    the combined recall's arms): while the index path holds k rows, each arm's exact
    branch (`e_<fact type>`) is never executed and the HNSW index serves the index path;
    when the index path runs short, the exact branch runs and the short rows are not
    returned. Plan structure, not timing."""
    store, bank = fresh_store, "b"
    await store.banks.create(bank)
    if store.backend.name != "postgresql":
        pytest.skip("reads PostgreSQL's plans (Oracle keeps the follow-up search)")
    import json

    from repo.backends.postgres import DIALECT, PostgresBackend
    from repo.bench.plans import arm_indexes, exact_runs
    from repo.repositories.recall import ARMS, SEMANTIC

    assert isinstance(store.backend, PostgresBackend)
    await store.memories.retain(bank, [unit(i, fact_type=FACT_TYPES[i % 3]) for i in range(90)])
    query = embedding("probe")
    semantic = SEMANTIC.shape(fact_type="world", fallback=True).compiled(DIALECT)
    arms = ARMS.shape(fact_types=FACT_TYPES, text=True, fallback=True).compiled(DIALECT)
    values = {"bank_id": bank, "embedding": query, "query": "memory", "k_text": 5}

    async def explain(c: object, k: int, *settings: str) -> dict[str, object]:
        assert hasattr(c, "sql") and hasattr(c, "args")
        args = c.args(values | {"k": k, "k_semantic": k})
        async with store.backend.pool.acquire() as conn, conn.transaction():
            for setting in ("enable_seqscan = off", "enable_sort = off", *settings):
                await conn.execute(f"SET LOCAL {setting}")
            raw = await conn.fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + c.sql, *args)
        return dict(json.loads(raw)[0])

    # Full: k=5 of 30 units per fact type; the index path is the HNSW index's.
    for c, fact_types in ((semantic, ("world",)), (arms, FACT_TYPES)):
        plan = await explain(c, 5)
        assert exact_runs(plan) == dict.fromkeys(fact_types, False), plan  # never executed
        indexes = arm_indexes(plan)
        for ft in fact_types:
            assert indexes[f"semantic:{ft}"] == [VECTOR_INDEXES[ft]], indexes
        assert plan["Plan"]["Actual Rows"] == 5 * len(fact_types) + (5 if c is arms else 0)
    # Short: an HNSW scan that stops after 5 candidates, k=30: each exact search runs.
    short = ("hnsw.iterative_scan = off", "hnsw.ef_search = 5")
    for c, fact_types in ((semantic, ("world",)), (arms, FACT_TYPES)):
        plan = await explain(c, 30, *short)
        assert exact_runs(plan) == dict.fromkeys(fact_types, True), plan
        assert plan["Plan"]["Actual Rows"] == 30 * len(fact_types) + (5 if c is arms else 0)
