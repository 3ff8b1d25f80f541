"""The benchmark's recall plans at 10,000 items: the semantic arms scan the HNSW index (a
small fact type may be searched exactly through its own index) and the text arm the GIN
index, both for the query's own values and in the plan a prepared
statement settles on after repeated executions (what the benchmark runs).

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
from repo.bench.recall import explain_recall, index_findings
from repo.bench.variants import RecallShape, Target
from schema.tables import VECTOR_INDEXES
from tests.providers import Provider

pytestmark = [pytest.mark.slow, pytest.mark.postgresql_only]

ITEMS = 10_000
FACT_INDEX = "ix_memory_units_bank_fact_date"


@pytest.fixture(scope="session")
def explain_10k(provider: Provider) -> Iterator[dict[str, Any]]:
    """EXPLAIN of the recall statements for 3 queries, on a 10,000-unit bank of its own."""
    if provider.backend != "postgresql":
        pytest.skip("the benchmark runs on PostgreSQL only")
    server = BenchServer(provider.url, provider.kind)
    schema = f"bench_x_{uuid.uuid4().hex[:12]}"
    spec = BankSpec(ITEMS)

    async def load_and_explain() -> dict[str, Any]:
        info = await ensure_bank(server, spec, schema=schema, progress=False)
        assert info.rows["memory_units"] >= ITEMS
        target = Target(server.url, server.dsn, schema, info.bank_id, 1, RecallShape())
        queries = SyntheticBank(spec).queries(3)
        return {str(q.index): await explain_recall(server.dsn, target, q) for q in queries}

    try:
        yield asyncio.run(load_and_explain())
    finally:
        asyncio.run(drop_schema(server, schema))


def test_semantic_arms_use_hnsw_and_text_arm_uses_gin(explain_10k: dict[str, Any]) -> None:
    for query, explain in explain_10k.items():
        for plan in ("arm_indexes", "steady_arm_indexes"):  # first and prepared plans
            arms = explain["recall.arms"][plan]
            assert {"semantic:world", "semantic:experience", "semantic:observation", "text"} <= (
                set(arms)
            ), arms
            for arm, indexes in arms.items():
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
