"""Oracle's `TARGET ACCURACY` knob (`VectorSearch(target_accuracy=n)`): rendered as
`FETCH APPROX FIRST :k ROWS ONLY WITH TARGET ACCURACY n` (the call's, else the store's),
bounded shapes; validated before SQL; each dialect's knobs are a `ConfigurationError` on the
other (no Oracle server here: a fake driver records the SQL the Oracle backend sends)."""

from __future__ import annotations

import pytest

from repo.backends.oracle import OracleBackend
from repo.errors import ConfigurationError, ValidationError
from repo.models import RecallQuery, VectorSearch
from repo.store import Store, backend_on_pool, open_store
from repo.vector_search import target_accuracy, vector_search_settings
from tests.helpers import embedding
from tests.test_oracle_backend import FakeConnection, FakePool

ACCURACY = "ROWS ONLY WITH TARGET ACCURACY"


def _oracle_store(conn: FakeConnection, accuracy: int | None = None) -> Store:
    backend = OracleBackend(FakePool(conn), "public")
    backend.target_accuracy = accuracy
    return Store(backend, "oracle://u:p@h:1521/S")


def _approx(conn: FakeConnection) -> list[str]:
    """The FETCH APPROX clause of every statement sent, in order."""
    return [s[s.index("FETCH APPROX") :].strip() for s in conn.statements() if "APPROX" in s]


@pytest.mark.parametrize("bad", [0, 101, True, "90", 9.5])
def test_bad_target_accuracy_is_a_validation_error(bad: object) -> None:
    knobs = VectorSearch(target_accuracy=bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="target_accuracy"):
        target_accuracy(knobs)
    with pytest.raises(ValidationError):
        vector_search_settings(knobs)


async def test_call_accuracy_then_store_accuracy_then_the_index_default() -> None:
    conn = FakeConnection()
    store = _oracle_store(conn)
    q = embedding(1)
    await store.recall.semantic("b", q, fact_type="world", k=5)
    await store.recall.semantic(
        "b", q, fact_type="world", k=5, vector_search=VectorSearch(target_accuracy=80)
    )
    await store.recall.recall("b", RecallQuery(q, vector_search=VectorSearch(target_accuracy=70)))
    assert _approx(conn)[0] == "FETCH APPROX FIRST :k ROWS ONLY"  # the index's own (95)
    assert _approx(conn)[1] == f"FETCH APPROX FIRST :k {ACCURACY} 80"
    # The combined recall: every semantic arm of the UNION ALL carries it.
    arms = [s for s in conn.statements() if s.count("FETCH APPROX") == 3]
    assert len(arms) == 1 and arms[0].count(f"{ACCURACY} 70") == 3

    conn = FakeConnection()
    store = _oracle_store(conn, accuracy=90)
    await store.recall.semantic("b", q, fact_type="experience", k=5)
    await store.recall.semantic(
        "b", q, fact_type="experience", k=5, vector_search=VectorSearch(target_accuracy=99)
    )
    assert _approx(conn) == [
        f"FETCH APPROX FIRST :k {ACCURACY} 90",
        f"FETCH APPROX FIRST :k {ACCURACY} 99",
    ]
    tenant = Store(store.backend.for_schema("acme"), store.url)
    await tenant.recall.semantic("b", q, fact_type="world", k=5)
    assert _approx(conn)[-1] == f"FETCH APPROX FIRST :k {ACCURACY} 90"  # a tenant keeps it


async def test_pgvector_knobs_on_oracle_are_a_configuration_error() -> None:
    store = _oracle_store(FakeConnection())
    for knobs in (VectorSearch(ef_search=100), VectorSearch(iterative_scan="off")):
        with pytest.raises(ConfigurationError):
            await store.recall.semantic("b", embedding(1), fact_type="world", vector_search=knobs)
    with pytest.raises(ConfigurationError, match="ef_search"):
        async with open_store(
            "oracle://u:p@127.0.0.1:1/S",
            run_migrations=False,
            vector_search=VectorSearch(ef_search=64),
        ):
            pass  # fmt: skip
    import oracledb

    pool = oracledb.create_pool_async(user="u", password="p", dsn="127.0.0.1:1/S", min=0)
    try:
        with pytest.raises(ConfigurationError):
            backend_on_pool(pool, vector_search=VectorSearch(max_scan_tuples=10))
        backend = backend_on_pool(pool, vector_search=VectorSearch(target_accuracy=85))
        assert backend.target_accuracy == 85
    finally:
        await pool.close(force=True)


@pytest.mark.integration
async def test_target_accuracy_on_postgresql_is_a_configuration_error(
    store: Store, bank: str
) -> None:
    if store.backend.name != "postgresql":
        pytest.skip("Oracle's half: the tests above")
    knobs = VectorSearch(target_accuracy=90)
    with pytest.raises(ConfigurationError, match="Oracle"):
        await store.recall.semantic(bank, embedding(1), fact_type="world", vector_search=knobs)
    with pytest.raises(ConfigurationError, match="Oracle"):
        await store.recall.recall(bank, RecallQuery(embedding(1), vector_search=knobs))
    with pytest.raises(ConfigurationError, match="Oracle"):
        async with open_store(store.url, schema=store.schema, vector_search=knobs):
            pass
