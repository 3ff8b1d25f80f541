"""The benchmark's recall plans at 10,000 items: the semantic arms scan the HNSW index (a
small fact type may be searched exactly through its own index) and the text arm the GIN
index, both for the query's own values and in the plan a prepared
statement settles on after repeated executions (what the benchmark runs). Under the
selective tag filter (`tags_1pct`, ~0.7% of units) the semantic arms of the big fact types
read their rows from the tags GIN index instead of scanning the bank's units, and with
untagged units included from the tags index and the untagged units' partial index together.
Under a ~5% time window the temporal arm reads each of its three times from an index,
combined in one BitmapOr (revision 0013), alone and inside the combined recall.

The bank (10,000 units, loaded through the library) lives in a schema of its own, loaded
once per session and dropped afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from repo.bench.bank import TEXT_INDEX, BenchServer, drop_schema, ensure_bank
from repo.bench.data import BankSpec, SyntheticBank
from repo.bench.filters import UNFILTERED
from repo.bench.plans import index_findings
from repo.bench.recall import explain_recall
from repo.bench.temporal import explain_temporal_arm, window_scan
from repo.bench.variants import RecallShape, Target
from schema.tables import VECTOR_INDEXES
from tests.providers import Provider

pytestmark = [pytest.mark.slow, pytest.mark.postgresql_only]

ITEMS = 10_000
FACT_INDEX = "ix_memory_units_bank_fact_date"
TAGS_INDEX = "ix_memory_units_tags"
UNTAGGED_INDEX = "ix_memory_units_untagged"
SELECTIVE = "tags_1pct"
SELECTIVE_UNTAGGED = "tags_1pct_untagged"
BROAD = "tags_30pct"
TEMPORAL = "temporal"
#: The temporal arm's window indexes: event date (by fact type), occurred range, mention.
WINDOW_INDEXES = [FACT_INDEX, "ix_memory_units_bank_mentioned", "ix_memory_units_occurred"]


@pytest.fixture(scope="session")
def explain_10k_by_filter(provider: Provider) -> Iterator[dict[str, dict[str, Any]]]:
    """EXPLAIN of the recall statements for 3 queries, unfiltered, under the selective
    tag filter (untagged units excluded, then included), the broad one and with the
    temporal arm, and of the temporal arm alone (key `temporal_arm`), on a 10,000-unit
    bank of its own."""
    if provider.backend != "postgresql":
        pytest.skip("the benchmark runs on PostgreSQL only")
    server = BenchServer(provider.url, provider.kind)
    schema = f"bench_x_{uuid.uuid4().hex[:12]}"
    spec = BankSpec(ITEMS)

    async def load_and_explain() -> dict[str, Any]:
        info = await ensure_bank(server, spec, schema=schema, progress=False)
        assert info.rows["memory_units"] >= ITEMS
        queries = SyntheticBank(spec).queries(3)
        out: dict[str, dict[str, Any]] = {}
        shapes = {
            UNFILTERED: RecallShape(),
            SELECTIVE: RecallShape.for_k(20, SELECTIVE),
            SELECTIVE_UNTAGGED: RecallShape.for_k(20, SELECTIVE_UNTAGGED),
            BROAD: RecallShape.for_k(20, BROAD),
            TEMPORAL: RecallShape.for_k(20, temporal=True),
        }
        for key, shape in shapes.items():
            target = Target(server.url, server.dsn, schema, info.bank_id, 1, shape)
            out[key] = {str(q.index): await explain_recall(server.dsn, target, q) for q in queries}
        out["temporal_arm"] = await explain_temporal_arm(server.dsn, target)
        return out

    try:
        yield asyncio.run(load_and_explain())
    finally:
        asyncio.run(drop_schema(server, schema))


@pytest.fixture(scope="session")
def explain_10k(explain_10k_by_filter: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return explain_10k_by_filter[UNFILTERED]


def test_semantic_arms_use_hnsw_and_text_arm_uses_gin(explain_10k: dict[str, Any]) -> None:
    for query, explain in explain_10k.items():
        for plan in ("arm_indexes", "steady_arm_indexes"):  # first and prepared plans
            arms = explain["recall.arms"][plan]
            assert {"semantic:world", "semantic:experience", "semantic:observation", "text"} <= (
                set(arms)
            ), arms
            for arm, indexes in arms.items():
                if arm.startswith("exact:"):  # the inline exact search: see below
                    continue
                if arm == "text":
                    assert TEXT_INDEX in indexes, (query, plan, arm, indexes)
                    continue
                fact_type = arm.split(":")[1]
                others = set(VECTOR_INDEXES.values()) - {VECTOR_INDEXES[fact_type]}
                assert not others & set(indexes), (query, plan, arm, indexes)  # never another's
                if fact_type == "world":  # half the bank: always its HNSW index
                    assert VECTOR_INDEXES[fact_type] in indexes, (query, plan, arm, indexes)
                else:
                    # A smaller fact type at k=200 with the store's ef_search below k may be
                    # searched exactly through the (bank, fact type) index: never a full scan.
                    ok = {VECTOR_INDEXES[fact_type], FACT_INDEX} & set(indexes)
                    assert ok, (query, plan, arm, indexes)
        # Every index path held k rows: no inline exact search ran (EXPLAIN ANALYZE).
        for plan in ("exact_ran", "steady_exact_ran"):
            assert explain["recall.arms"][plan] == dict.fromkeys(VECTOR_INDEXES, False), query
        findings = index_findings(explain)
        assert findings["text_arm_uses_gin"] and findings["steady_text_arm_uses_gin"], findings


def test_expansion_and_detail_fetch_use_indexes(explain_10k: dict[str, Any]) -> None:
    for explain in explain_10k.values():
        expand = explain["recall.expand"]["scans"]
        # Graph expansion walks indexes from the seeds; no full scan of the big tables.
        assert not any(s.startswith("Seq Scan") and "memory_units" in s for s in expand), expand
        assert any("ix_unit_entities_entity" in s for s in expand), expand
        details = explain["recall.unit_entities"]["scans"]
        assert any("pk_unit_entities" in s for s in details), details


def test_selective_tag_filter_reads_the_tags_index(
    explain_10k_by_filter: dict[str, dict[str, Any]],
) -> None:
    """Revision 0011: under a 0.7% tag filter the world and experience arms (half and a
    third of the bank) read the matching units through the tags GIN index, never a
    sequential scan of memory_units: in the plan for the query's values (custom plan) and
    in the plan the prepared statement settles on after six executions, which may be
    the generic plan (the tag list a parameter, its selectivity the planner's default for
    an array containment; the assertion holds for whichever plan PostgreSQL chose)."""
    for query, explain in explain_10k_by_filter[SELECTIVE].items():
        arms_entry = explain["recall.arms"]
        for plan, scans_key in (("arm_indexes", "scans"), ("steady_arm_indexes", "steady_scans")):
            arms = arms_entry[plan]
            for fact_type in ("world", "experience"):
                indexes = arms[f"semantic:{fact_type}"]
                assert TAGS_INDEX in indexes, (query, plan, fact_type, indexes)
            seq = [s for s in arms_entry[scans_key] if s == "Seq Scan memory_units"]
            assert not seq, (query, plan, arms_entry[scans_key])


def test_selective_tag_filter_including_untagged_units_reads_indexes(
    explain_10k_by_filter: dict[str, dict[str, Any]],
) -> None:
    """Revision 0012: `untagged="include"` makes the tag filter `(no tags) OR (tags @> $1)`;
    the world and experience arms read both branches from indexes (one BitmapOr of the
    partial index of the untagged units and the tags GIN index), never a sequential scan
    of memory_units, in the custom plan and in the plan the prepared statement settles on."""
    for query, explain in explain_10k_by_filter[SELECTIVE_UNTAGGED].items():
        arms_entry = explain["recall.arms"]
        for plan, scans_key in (("arm_indexes", "scans"), ("steady_arm_indexes", "steady_scans")):
            arms = arms_entry[plan]
            for fact_type in ("world", "experience"):
                indexes = arms[f"semantic:{fact_type}"]
                assert {TAGS_INDEX, UNTAGGED_INDEX} <= set(indexes), (query, plan, indexes)
            seq = [s for s in arms_entry[scans_key] if s == "Seq Scan memory_units"]
            assert not seq, (query, plan, arms_entry[scans_key])


def test_broad_tag_filter_keeps_the_hnsw_indexes_in_the_prepared_plan(
    explain_10k_by_filter: dict[str, dict[str, Any]],
) -> None:
    """Under a ~28% tag filter the world arm (~1,400 matches at 10k) searches its HNSW
    index, also in the plan the prepared statement runs after six executions, and every
    arm's plan after six executions is its first: memrepo's sessions plan each execution
    for its values (`plan_cache_mode`). A generic plan, blind to the tag list, took the
    filter for 1% of the bank and sorted every match of the tags index exactly (a third of
    the bank). (The experience arm's ~840 matches may be sorted exactly: pgvector costs an
    HNSW scan by `2 * m * ef_search` layer-0 tuples, so with revision 0014's m = 24 the
    planner may find the exact sort of that few cheaper, and it is exact.)"""
    for query, explain in explain_10k_by_filter[BROAD].items():
        arms_entry = explain["recall.arms"]
        assert arms_entry["steady_arm_indexes"] == arms_entry["arm_indexes"], query
        for plan in ("arm_indexes", "steady_arm_indexes"):
            indexes = arms_entry[plan]["semantic:world"]
            assert indexes == [VECTOR_INDEXES["world"]], (query, plan, indexes)


def test_temporal_arm_reads_each_time_of_its_window_from_an_index(
    explain_10k_by_filter: dict[str, dict[str, Any]],
) -> None:
    """Revision 0013: the arm's `event_date OR occurred OR mentioned_at` window (~5% of
    the units) is a BitmapOr of the three indexes, never a sequential scan of
    memory_units: alone, and inside the combined recall's first statement, for the
    query's values and in the plan the prepared statement settles on."""
    alone = explain_10k_by_filter["temporal_arm"]
    assert alone["rows"] > 0
    for scan in [window_scan(alone["plan"])] + [
        window_scan(explain["recall.arms"][plan])
        for explain in explain_10k_by_filter[TEMPORAL].values()
        for plan in ("plan", "steady_plan")
    ]:
        assert scan == {
            "window_indexes": WINDOW_INDEXES,
            "bitmap_or": True,
            "seq_scan_memory_units": False,
        }, scan
