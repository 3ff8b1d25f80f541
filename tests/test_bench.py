"""The benchmark (`python -m repo bench`): its pure parts, and one tiny end-to-end run.

The end-to-end run checks the structure of the JSON it writes (every variant measured or
reported missing/failed, numbers positive), never timings.
"""

from __future__ import annotations

import asyncio
import json
import math
import uuid
from pathlib import Path
from typing import Any

import pytest

from repo.backends.postgres.session import BASE_SETTINGS
from repo.bench.bank import BenchServer, drop_schema, session_settings
from repo.bench.data import BankSpec, SyntheticBank
from repo.bench.plans import arm_indexes, exact_runs
from repo.bench.quality import recall_at_k
from repo.bench.recall import sql_literal
from repo.bench.report import percentile, recall_table, summarize
from repo.bench.retain import RETAIN_VARIANTS
from repo.bench.variants import (
    VARIANT_NAMES,
    MemrepoVariant,
    RecallShape,
    missing_reason,
    named_sql,
)
from repo.bench.vectors import VECTOR_VARIANT_NAMES
from tests.providers import Provider

# --------------------------------------------------------------------------- pure parts


def test_bank_is_deterministic_and_well_formed() -> None:
    a, b = SyntheticBank(BankSpec(300, seed=7)), SyntheticBank(BankSpec(300, seed=7))
    assert a.unit(42) == b.unit(42)
    assert a.query(3) == b.query(3)
    assert SyntheticBank(BankSpec(300, seed=8)).unit(42) != a.unit(42)
    units = a.units(0, 300)
    assert len({u.id for u in units}) == 300
    for u in units[:20]:
        assert len(u.embedding) == 384
        assert math.isclose(math.fsum(x * x for x in u.embedding), 1.0, rel_tol=1e-4)
        assert 1 <= len(u.entities) <= 5
    assert {u.fact_type for u in units} == {"world", "experience", "observation"}
    ids = {u.id for u in units}
    for link in a.links(0, 300):  # links only point at units of the bank
        assert link.from_id in ids and link.to_id in ids
    assert " or " in a.query(0).text


def test_hub_bank_adds_hubs_and_keeps_every_other_part() -> None:
    plain, hubs = SyntheticBank(BankSpec(400)), SyntheticBank(BankSpec(400, hubs=3))
    assert BankSpec(400).key != BankSpec(400, hubs=3).key
    assert plain.hub_names == [] and len(hubs.hub_names) == 3
    mentions = {name: 0 for name in hubs.hub_names}
    for i in range(400):
        a, b = plain.unit(i), hubs.unit(i)
        assert b.entities[: len(a.entities)] == a.entities
        assert b.embedding == a.embedding and b.tags == a.tags and b.id == a.id
        for e in b.entities[len(a.entities) :]:
            mentions[e.name] += 1
    assert all(30 <= n <= 90 for n in mentions.values()), mentions  # ~15% of 400
    assert hubs.links(0, 400) == plain.links(0, 400) and hubs.query(1) == plain.query(1)


def test_percentiles_and_summary() -> None:
    values = [0.001 * i for i in range(1, 101)]
    assert percentile(sorted(values), 50) == pytest.approx(0.0505)
    assert percentile(sorted(values), 95) == pytest.approx(0.09505)
    s = summarize(values)
    assert s.n == 100 and s.min_s == 0.001 and s.max_s == 0.1
    assert s.mean_s == pytest.approx(0.0505)


def test_every_variant_gets_the_store_session_settings() -> None:
    # Same index knobs (hnsw.ef_search, iterative scans) as a store's connections: every
    # variant runs the same plans and reads the same rows as memrepo.
    settings = session_settings("bench_x")
    assert BASE_SETTINGS.items() <= settings.items()
    assert settings["search_path"].startswith('"bench_x"')


def test_named_sql_keeps_casts() -> None:
    sql = "SELECT x FROM t WHERE a = $2::VARCHAR AND b <=> $1 LIMIT $3"
    assert named_sql(sql, ("emb", "bank", "k")) == (
        r"SELECT x FROM t WHERE a = :bank\:\:VARCHAR AND b <=> :emb LIMIT :k"
    )


def test_recall_at_k_counts_true_neighbours_per_fact_type() -> None:
    truth = {"world": ["a", "b", "c", "d"], "experience": ["e", "f"], "observation": []}
    assert recall_at_k({"world": ["a", "b", "c", "d"], "experience": ["f", "e"]}, truth, 4) == 1
    # world: 2 of 4, experience: 1 of 2; an empty truth does not count.
    got = {"world": ["a", "x", "c", "y"], "experience": ["e", "z"]}
    assert recall_at_k(got, truth, 4) == pytest.approx((0.5 + 0.5) / 2)
    assert recall_at_k({"world": ["b", "a"]}, {"world": ["a", "b", "c"]}, 2) == 1.0


def test_recall_shapes() -> None:
    assert RecallShape.for_k(200) == RecallShape()  # the original shape
    small = RecallShape.for_k(20)
    assert (small.k_semantic, small.k_text, small.k_graph, small.seeds) == (20, 20, 10, 20)


def test_sql_literals() -> None:
    u = uuid.UUID(int=1)
    assert sql_literal(5) == "5"
    assert sql_literal("it's") == "'it''s'"
    assert sql_literal([0.5, -1.0]) == "'[0.5,-1.0]'"
    assert sql_literal([u]) == "'{" + str(u) + "}'"


def test_a_variant_without_its_package_is_reported_missing() -> None:
    class Absent(MemrepoVariant):
        name = "absent"
        requires = ("memrepo_no_such_package_for_bench",)

    why = missing_reason(Absent)
    assert why is not None and "memrepo_no_such_package_for_bench" in why
    assert missing_reason(MemrepoVariant) is None
    text = recall_table(
        {"raw_asyncpg": summarize([0.01, 0.02])},
        ["raw_asyncpg", "absent"],
        "raw_asyncpg",
        throughput={},
        paired={},
        cpu={},
        rss={},
        unavailable={"absent": f"missing: {why}"},
    )
    assert "| absent" in text and "missing: " in text


def test_arm_indexes_reads_an_append_plan() -> None:
    def arm(alias: str, filt: str, index: str, order: str = "") -> dict[str, Any]:
        scan = {"Node Type": "Index Scan", "Index Name": index, "Filter": filt}
        if order:
            scan["Order By"] = order
        return {"Node Type": "Subquery Scan", "Alias": alias, "Plans": [scan]}

    plan = {
        "Plan": {
            "Node Type": "Append",
            "Plans": [
                arm("s_world", "(fact_type)::text = 'world'", "hnsw", "(embedding <=> '[1]')"),
                arm("*SELECT* 2", "(to_tsvector(text) @@ q)", "gin"),
            ],
        }
    }
    assert arm_indexes(plan) == {"semantic:world": ["hnsw"], "text": ["gin"]}


def test_arm_indexes_and_exact_runs_read_an_arm_with_its_exact_search_inline() -> None:
    def gated(op: str, loops: int, scan: dict[str, Any]) -> dict[str, Any]:
        count = {
            "Node Type": "Aggregate",
            "Parent Relationship": "InitPlan",
            "Actual Loops": 1,
            "Plans": [{"Node Type": "CTE Scan", "Alias": "s_world", "Actual Loops": 1}],
        }
        return {"Node Type": "Result", "One-Time Filter": f"((InitPlan 2).col1 {op} 5)",
                "Actual Loops": 1, "Plans": [count, scan | {"Actual Loops": loops}]}  # fmt: skip

    index_path = {"Node Type": "Limit", "Actual Loops": 1, "Plans": [{
        "Node Type": "Index Scan", "Index Name": "hnsw", "Order By": "(embedding <=> '[1]')",
        "Actual Loops": 1}]}  # fmt: skip
    exact = {"Node Type": "Index Scan", "Index Name": "pk", "Filter": "fact_type = 'world'"}
    append = {"Node Type": "Append", "Plans": [
        gated(">=", 1, {"Node Type": "CTE Scan", "Alias": "s_world"}), gated("<", 0, exact),
    ]}  # fmt: skip
    cte = {"Parent Relationship": "InitPlan", "Subplan Name": "CTE s_world"} | index_path
    plan = {"Plan": {"Node Type": "Sort", "Plans": [cte, append]}}
    assert arm_indexes(plan) == {"semantic:world": ["hnsw"], "exact:world": ["pk"]}
    assert exact_runs(plan) == {"world": False}
    append["Plans"][1]["Plans"][1]["Actual Loops"] = 1
    assert exact_runs(plan) == {"world": True}


# --------------------------------------------------------------------------- end to end


@pytest.fixture(scope="session")
def pg_url(provider: Provider) -> str:
    """The test matrix's PostgreSQL (the benchmark is PostgreSQL-only)."""
    if provider.backend != "postgresql":
        pytest.skip("the benchmark runs on PostgreSQL only")
    return provider.url


@pytest.mark.slow
def test_bench_tiny_run_writes_complete_json(pg_url: str, tmp_path: Path) -> None:
    from repo.bench.cli import main

    schema = f"bench_t_{uuid.uuid4().hex[:12]}"
    out = tmp_path / "bench.json"
    png = tmp_path / "bench.png"
    argv = [
        "--url", pg_url, "--schema", schema, "--items", "500", "--recalls", "20",
        "--warmup", "4", "--batch", "10", "--retain-items", "300", "--retain-reps", "1",
        "--json", str(out), "--plot", str(png), "--profile", "--no-progress",
        "--filters", "tags_1pct,window_10pct",
    ]  # fmt: skip
    try:
        assert main(argv) == 0
    finally:
        for name in (schema, f"{schema}_hubs"):
            asyncio.run(drop_schema(BenchServer(pg_url, "url"), name))
    doc = json.loads(out.read_text())
    filtered = {"filtered:tags_1pct", "filtered:window_10pct"}
    temporal = {"temporal", "temporal_arm"}
    graph = {"graph", "graph_uncapped"}
    assert set(doc) == {
        "recall", "vector", "exact", "retain", "meta", *filtered, *temporal, *graph
    }  # fmt: skip
    meta = doc["meta"]
    hubs = meta["graph_bank"]["hub_mentions"]
    assert len(hubs) == 3 and all(40 <= n <= 110 for n in hubs.values()), hubs  # ~15% of 500
    for key, fanout in (("graph", 50), ("graph_uncapped", 10_000)):
        shape = meta["shapes"][key]["20"]
        assert {"memrepo", "raw_asyncpg"} <= set(doc[key]["20"]) and not shape["failed"]
        assert not any(shape["row_count_mismatches_vs_memrepo"].values())
        assert set(shape["p50_vs_unfiltered"]) == {"memrepo", "raw_asyncpg"}
        assert set(shape["paired_ratio_vs_baseline"]) >= {"memrepo", "raw_asyncpg"}
        arm = shape["graph_arm"]
        assert arm["statement"].startswith("recall.expand") and arm["entity_fanout"] == fanout
        assert arm["queries"] > 0 and arm["execution_ms_median"] > 0
        assert arm["rows_mean"]["graph:entity"] > 0 and arm["mentions_ranked_median"] > 0
    base = meta["shapes"]["graph"]["20"]["graph_arm_plain_bank"]  # the same seeds' walk
    assert base["queries"] > 0 and base["execution_ms_median"] > 0
    for key in temporal:  # the combined recall with the temporal arm, and the arm alone
        shape = meta["shapes"][key]["20"]
        assert {"memrepo", "raw_asyncpg"} <= set(doc[key]["20"]) and not shape["failed"]
        assert set(shape["p50_vs_unfiltered"]) == {"memrepo", "raw_asyncpg"}
    combined = meta["shapes"]["temporal"]["20"]
    assert not any(combined["row_count_mismatches_vs_memrepo"].values())
    assert "temporal" in combined["explain"]["recall.arms"]["arm_indexes"]
    assert set(combined["temporal_window_scan"]) >= {"window_indexes", "seq_scan_memory_units"}
    assert sum(combined["statement_share"].values()) == pytest.approx(1.0)
    arm = meta["shapes"]["temporal_arm"]["20"]["temporal_arm"]
    assert arm["rows"] > 0 and arm["execution_ms_median"] > 0
    for key, share in (
        ("filtered:tags_1pct", (0.001, 0.03)),
        ("filtered:window_10pct", (0.08, 0.12)),
    ):
        shape = meta["shapes"][key]["20"]
        assert share[0] <= shape["selectivity"] <= share[1], (key, shape["selectivity"])
        assert {"memrepo", "raw_asyncpg"} <= set(doc[key]["20"]) and not shape["failed"]
        for name, stats in doc[key]["20"].items():
            assert stats["recall_at_k"] == 1.0, (key, name)  # 500 units: exact plans
        arms = shape["explain"]["recall.arms"]["arm_indexes"]
        assert {"semantic:world", "semantic:experience", "semantic:observation"} <= set(arms)
        assert not any(shape["row_count_mismatches_vs_memrepo"].values())
        assert set(shape["p50_vs_unfiltered"]) == {"memrepo", "raw_asyncpg"}
    for workload, names in (("recall", VARIANT_NAMES), ("vector", VECTOR_VARIANT_NAMES)):
        shape = meta["shapes"][workload]["20"]
        results = doc[workload]["20"]
        for name in names:  # measured, or reported as missing/failed: never dropped
            assert name in results or name in shape["missing"] or name in shape["failed"], name
        assert "memrepo" in results and "raw_asyncpg" in results
        for name, stats in results.items():
            assert stats["n"] == 20, name
            for key in ("mean_s", "p50_s", "p95_s"):
                assert stats[key] > 0, (name, key)
            assert stats["p50_s"] <= stats["p95_s"]
            assert 0.0 <= stats["recall_at_k"] <= 1.0, name
        assert not shape["failed"], shape["failed"]
        assert shape["rounds"] == 2
        assert all(len(r) == 2 for r in shape["paired_ratio_per_round"].values())
    recall = meta["shapes"]["recall"]["20"]
    assert "raw_asyncpg_one_conn" in doc["recall"]["20"]
    assert {"recall.arms", "recall.expand", "recall.unit_entities"} <= set(recall["explain"])
    assert recall["shape"]["column_reads_per_recall_mean"] > 0
    text_arm = recall["text_arm"]  # the text arm alone: server time and its GIN index
    assert text_arm["queries"] > 0 and text_arm["execution_ms_median"] > 0
    assert text_arm["uses_text_index"], text_arm["scans"]
    assert not any(recall["row_count_mismatches_vs_memrepo"].values())
    for name in ("exact", "materialised", "seq_scan"):
        assert doc["exact"][name]["median_s"] > 0, name
    assert set(doc["retain"]) == set(RETAIN_VARIANTS)
    for name, rates in doc["retain"].items():
        assert rates["rows_per_s"] > 0 and rates["rows_per_s_deferred_index"] > 0, name
    assert meta["peak_rss_bytes"] > 0
    assert meta["profile"]
    if meta.get("plot") == str(png):
        assert png.stat().st_size > 0
