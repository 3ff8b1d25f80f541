"""How python-oracledb is given the recall statements' values (no database): every filter
part, the temporal arm's numbers and the graph arm's weights get the Oracle type the SQL
compares them with (repo/backends/oracle/codecs.py builds the plan from the compiled
statement's types)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import oracledb

import repo.store  # noqa: F401  (registers every statement)
from repo.backends.oracle import DIALECT
from repo.backends.oracle import codecs as oc
from repo.models import RecallFilter, TagGroup, TemporalQuery, TimeWindow
from repo.repositories import recall
from repo.repositories.recall.expansion import EXPAND
from repo.repositories.recall.filters import bind_filter
from repo.repositories.recall.temporal import TEMPORAL, bind_temporal

PLUS_TWO = timezone(timedelta(hours=2))
START = datetime(2026, 3, 1, 12, tzinfo=PLUS_TWO)
END = datetime(2026, 3, 2, 12, tzinfo=PLUS_TWO)


def _bound(stmt: Any, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    compiled = stmt.compiled(DIALECT)
    plan = oc.build_bind_plan(compiled)
    bound = plan.convert(compiled, values)
    return bound, plan.input_sizes([bound])


def test_every_filter_part_binds_as_the_type_it_is_compared_with() -> None:
    where = RecallFilter(
        tags=["work", "é"], tags_match="exact", exclude_tags=["private"],
        tag_groups=[TagGroup(["a", "b"])], untagged="exclude",
        event_date=TimeWindow(START, END), occurred=TimeWindow(START, END),
        document_ids=["d1"], metadata={"n": 1, "x": 1.5, "ok": True, "s": "v"},
        min_similarity=0.25,
    )  # fmt: skip
    shape, params = bind_filter(where)
    stmt = recall.SEMANTIC.shape(fact_type="world", where=shape)
    bound, sizes = _bound(stmt, {"bank_id": "b", "embedding": [1.0, 0.0], "k": 5, **params})
    # TIMESTAMP WITH TIME ZONE columns against TIMESTAMP WITH TIME ZONE binds of the UTC
    # wall clock (python-oracledb binds the fields with a UTC zone).
    for name in ("f_event_date_start", "f_occurred_start"):
        assert sizes[name] is oracledb.DB_TYPE_TIMESTAMP_TZ
        assert bound[name] == datetime(2026, 3, 1, 10)
    assert bound["f_event_date_end"] == datetime(2026, 3, 2, 10)
    # Tag and document lists: JSON text read by JSON_TABLE (VARCHAR2, CLOB when long).
    assert bound["f_tags"] == '["work","é"]' and "f_tags" not in sizes
    assert bound["f_document_ids"] == '["d1"]'
    # Metadata: a native JSON bind for JSON_MERGEPATCH / JSON_EQUAL (python-oracledb
    # encodes int and float alike as a JSON NUMBER, so 1 and 1.0 compare equal).
    assert sizes["f_metadata"] is oracledb.DB_TYPE_JSON
    assert bound["f_metadata"] == {"n": 1, "x": 1.5, "ok": True, "s": "v"}
    # Score floor: BINARY_DOUBLE, the type of 1 - VECTOR_DISTANCE(...).
    assert sizes["f_min_similarity"] is oracledb.DB_TYPE_BINARY_DOUBLE
    assert sizes["embedding"] is oracledb.DB_TYPE_VECTOR


def test_a_long_tag_list_binds_as_clob() -> None:
    shape, params = bind_filter(RecallFilter(tags=[f"{i:03d}" + "é" * 250 for i in range(20)]))
    stmt = recall.SEMANTIC.shape(fact_type="world", where=shape)
    _, sizes = _bound(stmt, {"bank_id": "b", "embedding": [1.0], "k": 5, **params})
    assert sizes["f_tags"] is oracledb.DB_TYPE_CLOB


def test_temporal_and_graph_numbers_bind_as_binary_double() -> None:
    shape, params = bind_temporal(
        "temporal", TemporalQuery(START, END, spread=5), has_embedding=False
    )
    bound, sizes = _bound(TEMPORAL.shape(shape=shape), {"bank_id": "b", **params})
    assert sizes["t_mid"] is sizes["t_half"] is oracledb.DB_TYPE_BINARY_DOUBLE
    assert bound["t_mid"] == datetime(2026, 3, 1, 22, tzinfo=UTC).timestamp()
    assert sizes["t_start"] is oracledb.DB_TYPE_TIMESTAMP_TZ
    compiled = EXPAND.shape(observations=True, sources_table=True).compiled(DIALECT)
    plan = oc.build_bind_plan(compiled)
    weights = [name for name in compiled.params if name.startswith("w_")]
    assert weights and all(plan.sizes[w] is oracledb.DB_TYPE_BINARY_DOUBLE for w in weights)
