"""Oracle value conversions, bind plans, type handlers, row factory and error mapping
(repo/backends/oracle/codecs.py, errors.py, config.py): pure Python, no database."""

from __future__ import annotations

import uuid
from array import array
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import oracledb
import pytest
from oracledb import errors as ora_errors

import repo.store  # noqa: F401  (registers every statement)
from repo.backends.oracle import DIALECT
from repo.backends.oracle import codecs as oc
from repo.backends.oracle import config as ocfg
from repo.backends.oracle import errors as oe
from repo.errors import (
    ConflictError,
    ConnectionLostError,
    DatabaseError,
    StatementTimeoutError,
)
from repo.repositories import documents, memories, operations, recall
from repo.rows import MappingRow, Row
from repo.urls import oracle_connect_params

U = uuid.UUID("12345678-1234-5678-1234-567812345678")

# --------------------------------------------------------------------------- values in


def test_uuid_to_raw() -> None:
    assert oc.uuid_to_raw(U) == U.bytes
    assert oc.uuid_to_raw(str(U)) == U.bytes
    assert oc.uuid_to_raw(U.bytes) == U.bytes
    assert oc.uuid_to_raw(None) is None
    with pytest.raises(TypeError):
        oc.uuid_to_raw(12)


def test_raw_to_uuid_round_trip() -> None:
    assert oc.raw_to_uuid(oc.uuid_to_raw(U)) == U
    assert oc.raw_to_uuid(None) is None


def test_to_vector() -> None:
    v = oc.to_vector([0.5, 1.0, -2.25])
    assert isinstance(v, array) and v.typecode == "f"
    assert list(v) == [0.5, 1.0, -2.25]
    same = array("f", [1.0])
    assert oc.to_vector(same) is same
    assert oc.to_vector(array("d", [1.0])) == array("f", [1.0])
    assert oc.to_vector(None) is None


def test_to_json_value() -> None:
    assert oc.to_json_value({"a": [1, (2, 3)], "u": U}) == {"a": [1, [2, 3]], "u": U.hex}
    assert oc.to_json_value(["x", U]) == ["x", U.hex]
    assert oc.to_json_value("s") == "s"
    assert oc.to_json_value(None) is None


def test_encode_id_list() -> None:
    assert oc.encode_id_list([U, U]) == f'["{U.hex}","{U.hex}"]'
    assert len(U.hex) == 32 and U.hex == U.hex.lower()
    assert oc.encode_id_list(("world", "naïve")) == '["world","naïve"]'
    assert oc.encode_id_list([]) == "[]"
    assert oc.encode_id_list(None) is None
    with pytest.raises(TypeError):
        oc.encode_id_list("abc")


def test_to_utc_naive() -> None:
    paris = timezone(timedelta(hours=2))
    aware = datetime(2026, 5, 1, 12, 30, tzinfo=paris)
    assert oc.to_utc_naive(aware) == datetime(2026, 5, 1, 10, 30)
    assert oc.to_utc_naive(aware).tzinfo is None  # type: ignore[union-attr,unused-ignore]
    naive = datetime(2026, 1, 1)
    assert oc.to_utc_naive(naive) is naive
    assert oc.to_utc_naive(None) is None
    with pytest.raises(TypeError):
        oc.to_utc_naive("2026-01-01")


def test_utc_aware_round_trip() -> None:
    aware = datetime(2026, 5, 1, 12, 30, 1, 999, tzinfo=timezone(timedelta(hours=-5)))
    fetched = oc.utc_aware(oc.to_utc_naive(aware))
    assert fetched == aware and fetched.tzinfo is UTC
    assert oc.utc_aware(None) is None


def test_normalise_json() -> None:
    fetched = {"n": Decimal("3"), "f": Decimal("2.5"), "l": [Decimal("1"), "x"], "b": True}
    assert oc.normalise_json(fetched) == {"n": 3, "f": 2.5, "l": [1, "x"], "b": True}
    assert isinstance(oc.normalise_json(Decimal("3")), int)
    assert oc.normalise_json(None) is None


def test_needs_clob() -> None:
    assert not oc.needs_clob("x" * 1000)
    assert not oc.needs_clob("x" * 4000)
    assert oc.needs_clob("x" * 4001)
    assert oc.needs_clob("é" * 2001)  # 4002 bytes
    assert not oc.needs_clob(None)


# --------------------------------------------------------------------------- rows


class _Column(tuple[Any, ...]):
    """Like python-oracledb's FetchInfo: index 0 is the (upper-case) name."""


def test_column_keys_lower_case() -> None:
    description = [_Column(("ID", None)), _Column(("BANK_ID", None)), ("SCORE", None)]
    assert oc.column_keys(description) == ("id", "bank_id", "score")


def test_row_factory_builds_mapping_rows() -> None:
    factory = oc.make_row_factory(("id", "text", "score"))
    row = factory(U, "hello", 0.5)
    assert type(row) is MappingRow
    assert isinstance(row, Row)
    assert row["id"] == U and row["text"] == "hello"
    assert row[0] == U and row[2] == 0.5 and row[-1] == 0.5
    assert row.get("missing") is None and row.get("score") == 0.5
    assert list(row.keys()) == ["id", "text", "score"]
    assert list(row.items())[1] == ("text", "hello")
    assert "text" in row and "TEXT" not in row
    assert len(row) == 3
    with pytest.raises(KeyError):
        row["nope"]
    with pytest.raises(IndexError):
        row[3]


# --------------------------------------------------------------------------- bind plans


def _plan(stmt: Any) -> tuple[Any, oc.BindPlan]:
    compiled = stmt.compiled(DIALECT)
    return compiled, oc.build_bind_plan(compiled)


def test_plan_for_memory_insert() -> None:
    compiled, plan = _plan(memories.UNIT_INSERT)
    sizes = plan.sizes
    assert sizes["id"] is oracledb.DB_TYPE_RAW
    assert sizes["embedding"] is oracledb.DB_TYPE_VECTOR
    assert sizes["tags"] is oracledb.DB_TYPE_JSON
    assert sizes["metadata"] is oracledb.DB_TYPE_JSON
    assert sizes["source_memory_ids"] is oracledb.DB_TYPE_JSON
    assert sizes["event_date"] is oracledb.DB_TYPE_TIMESTAMP_TZ
    assert sizes["proof_count"] is oracledb.DB_TYPE_NUMBER
    assert "text" not in sizes and "bank_id" not in sizes
    assert not plan.is_merge and plan.lob_params == ()
    now = datetime(2026, 1, 1, 9, tzinfo=timezone(timedelta(hours=1)))
    values = dict.fromkeys(memories.UNIT_INSERT_COLUMNS)
    values.update(
        id=U, bank_id="b", text="t", embedding=[0.25, 0.5], fact_type="world",
        tags=["a"], metadata={"k": 1}, proof_count=1, created_at=now, updated_at=now,
    )  # fmt: skip
    bound = plan.convert(compiled, values)
    assert bound["id"] == U.bytes
    assert bound["embedding"] == array("f", [0.25, 0.5])
    assert bound["tags"] == ["a"] and bound["metadata"] == {"k": 1}
    assert bound["created_at"] == datetime(2026, 1, 1, 8)
    assert bound["document_id"] is None and bound["event_date"] is None


def test_plan_tells_vectors_from_id_lists() -> None:
    compiled, plan = _plan(recall.SEMANTIC.shape(fact_type="world"))
    bound = plan.convert(compiled, {"bank_id": "b", "embedding": [1.0, 0.0], "k": 5})
    assert isinstance(bound["embedding"], array)
    assert bound["k"] == 5 and bound["bank_id"] == "b"
    compiled, plan = _plan(memories.GET)
    bound = plan.convert(compiled, {"bank_id": "b", "ids": [U]})
    assert bound["ids"] == f'["{U.hex}"]'
    assert plan.lob_params == ("ids",)
    assert plan.input_sizes([bound]) == {}
    many = plan.convert(compiled, {"bank_id": "b", "ids": [uuid.uuid4() for _ in range(200)]})
    assert plan.input_sizes([many]) == {"ids": oracledb.DB_TYPE_CLOB}


def test_plan_for_merge_binds_long_text_as_clob() -> None:
    compiled, plan = _plan(documents.UPSERT)
    assert plan.is_merge
    assert plan.lob_params == ("content",)
    row = {
        "bank_id": "b", "document_id": "d", "content_hash": "h", "content": "x" * 5000,
        "metadata": None, "version": 1, "created_at": None, "updated_at": None,
    }  # fmt: skip
    sizes = plan.input_sizes([plan.convert(compiled, row)])
    assert sizes["content"] is oracledb.DB_TYPE_CLOB
    assert sizes["metadata"] is oracledb.DB_TYPE_JSON
    short = plan.input_sizes([plan.convert(compiled, {**row, "content": "short"})])
    assert "content" not in short


def test_plan_for_claimable_has_no_limit_on_oracle() -> None:
    compiled, plan = _plan(operations.CLAIMABLE)
    assert compiled.params == ("now",)
    assert plan.sizes == {"now": oracledb.DB_TYPE_TIMESTAMP_TZ}


def test_plan_reports_missing_parameters() -> None:
    compiled, plan = _plan(memories.GET)
    with pytest.raises(KeyError, match="ids"):
        plan.convert(compiled, {"bank_id": "b"})


# --------------------------------------------------------------------------- type handlers


class _FakeCursor:
    arraysize = 100

    def __init__(self) -> None:
        self.vars: list[tuple[Any, dict[str, Any]]] = []

    def var(self, typ: Any, **kw: Any) -> tuple[Any, dict[str, Any]]:
        self.vars.append((typ, kw))
        return typ, kw


class _Meta:
    def __init__(self, type_code: Any, internal_size: int = 0) -> None:
        self.type_code = type_code
        self.internal_size = internal_size


def test_input_type_handler() -> None:
    cur = _FakeCursor()
    typ, kw = oc.input_type_handler(cur, U, 3)
    assert typ is oracledb.DB_TYPE_RAW and kw["arraysize"] == 3
    assert kw["inconverter"](U) == U.bytes
    typ, kw = oc.input_type_handler(cur, {"a": 1}, 1)
    assert typ is oracledb.DB_TYPE_JSON
    typ, kw = oc.input_type_handler(cur, [U], 1)
    assert typ is oracledb.DB_TYPE_VARCHAR and kw["inconverter"]([U]) == f'["{U.hex}"]'
    typ, _ = oc.input_type_handler(cur, ["x" * 5000], 1)
    assert typ is oracledb.DB_TYPE_CLOB
    aware = datetime(2026, 1, 1, tzinfo=UTC)
    typ, kw = oc.input_type_handler(cur, aware, 1)
    assert typ is oracledb.DB_TYPE_TIMESTAMP_TZ and kw["inconverter"](aware).tzinfo is None
    assert oc.input_type_handler(cur, "text", 1) is None
    assert oc.input_type_handler(cur, array("f", [1.0]), 1) is None  # binds as VECTOR natively
    assert oc.input_type_handler(cur, datetime(2026, 1, 1), 1) is None


def test_output_type_handler() -> None:
    cur = _FakeCursor()
    typ, kw = oc.output_type_handler(cur, _Meta(oracledb.DB_TYPE_RAW, 16))
    assert typ is oracledb.DB_TYPE_RAW and kw["outconverter"](U.bytes) == U
    assert kw["arraysize"] == cur.arraysize
    assert oc.output_type_handler(cur, _Meta(oracledb.DB_TYPE_RAW, 32)) is None
    _, kw = oc.output_type_handler(cur, _Meta(oracledb.DB_TYPE_JSON))
    assert kw["outconverter"]({"n": Decimal("1")}) == {"n": 1}
    _, kw = oc.output_type_handler(cur, _Meta(oracledb.DB_TYPE_TIMESTAMP_TZ))
    assert kw["outconverter"](datetime(2026, 1, 1)).tzinfo is UTC
    assert oc.output_type_handler(cur, _Meta(oracledb.DB_TYPE_VECTOR)) is None
    assert oc.output_type_handler(cur, _Meta(oracledb.DB_TYPE_VARCHAR)) is None


# --------------------------------------------------------------------------- errors


def _driver_error(message: str, code: int = 0) -> oracledb.Error:
    err = ora_errors._Error(message, code=code)
    exc: oracledb.Error = err.exc_type(err)
    return exc


@pytest.mark.parametrize(
    ("message", "code", "expected"),
    [
        ("ORA-00001: unique constraint (T.PK_BANKS) violated", 1, ConflictError),
        ("ORA-02291: integrity constraint violated - parent key not found", 2291, ConflictError),
        ("ORA-02292: integrity constraint violated - child record found", 2292, ConflictError),
        ("ORA-02290: check constraint violated", 2290, ConflictError),
        ("ORA-01400: cannot insert NULL", 1400, ConflictError),
        ("DPY-4024: call timeout of 50 ms exceeded", 0, StatementTimeoutError),
        ("ORA-01013: user requested cancel of current operation", 1013, StatementTimeoutError),
        ("ORA-03113: end-of-file on communication channel", 3113, ConnectionLostError),
        ("ORA-03135: connection lost contact", 3135, ConnectionLostError),
        ("ORA-29902: error in executing ODCIIndexStart() routine\nDRG-50901", 29902, DatabaseError),
        ("ORA-00942: table or view does not exist", 942, DatabaseError),
    ],
)
def test_error_mapping(message: str, code: int, expected: type[Exception]) -> None:
    exc = _driver_error(message, code)
    full_code, got_code, text, dead = oe.describe_error(exc)
    assert oe.error_class(full_code, got_code, text, session_dead=dead) is expected


def test_driver_connection_errors_are_connection_lost() -> None:
    err = ora_errors._create_err(ora_errors.ERR_CONNECTION_CLOSED)
    exc = err.exc_type(err)
    assert oe.error_class(*oe.describe_error(exc)[:3]) is ConnectionLostError


def test_translate_error_chains_the_driver_error() -> None:
    from repo.backends.oracle import translate_error

    exc = _driver_error("ORA-00001: unique constraint violated", 1)
    with pytest.raises(ConflictError) as info:
        translate_error(exc)
    assert info.value.__cause__ is exc
    assert oe.is_unique_violation(exc)
    assert not oe.is_unique_violation(_driver_error("ORA-00942: x", 942))
    with pytest.raises(ConnectionLostError):
        translate_error(ConnectionResetError("reset"))


# --------------------------------------------------------------------------- session, URLs


def test_session_setup_sql() -> None:
    assert ocfg.session_setup_sql("public") == (
        "BEGIN EXECUTE IMMEDIATE 'ALTER SESSION SET TIME_ZONE = ''+00:00'''; END;"
    )
    sql = ocfg.session_setup_sql("t_abc")
    assert "EXECUTE IMMEDIATE 'ALTER SESSION SET CURRENT_SCHEMA = \"T_ABC\"';" in sql


def test_oracle_connect_params() -> None:
    assert oracle_connect_params("oracle://app:p%40ss@db.local:1522/FREEPDB1") == {
        "user": "app", "password": "p@ss", "host": "db.local", "port": 1522,
        "service_name": "FREEPDB1",
    }  # fmt: skip
    params = oracle_connect_params("oracle+oracledb://app:pw@h:1521/?service_name=SVC")
    assert params["service_name"] == "SVC" and params["port"] == 1521
    assert oracle_connect_params("oracle://app:pw@h/S")["port"] == 1521
    from repo.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        oracle_connect_params("oracle://app:pw@h:1521/")
    with pytest.raises(ConfigurationError):
        oracle_connect_params("postgresql://u@h/db")
