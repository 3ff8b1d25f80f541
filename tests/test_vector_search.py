"""The vector index's knobs (`VectorSearch`): per store on every connection, per call
transaction-locally, validated before any SQL, never left behind on a pooled connection."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from repo.errors import ConfigurationError, ValidationError
from repo.models import RecallQuery, VectorSearch
from repo.sql import Statement
from repo.store import Store, open_store
from repo.vector_search import vector_search_settings
from tests.conftest import store_on_new_schema
from tests.helpers import embedding, unit
from tests.providers import Provider

pytestmark = pytest.mark.integration

KNOBS = ("hnsw.ef_search", "hnsw.iterative_scan", "hnsw.max_scan_tuples")
SHOW = Statement(
    "test.show_hnsw",
    sa.select(*(sa.func.current_setting(sa.literal_column(f"'{n}'"), sa.true()) for n in KNOBS)),
    register=False,
)
BAD = [
    VectorSearch(ef_search=0),
    VectorSearch(ef_search=1001),
    VectorSearch(ef_search=True),
    VectorSearch(ef_search="100"),  # type: ignore[arg-type]
    VectorSearch(iterative_scan="fast"),
    VectorSearch(max_scan_tuples=0),
]


async def _shown(store: Store) -> tuple[str, ...]:
    row = await store.backend.fetchrow(SHOW)
    assert row is not None
    return tuple(row)


def _pg(provider: Provider) -> None:
    if provider.backend != "postgresql":
        pytest.skip("pgvector's knobs (Oracle: ConfigurationError, docs/recall.md)")


@pytest.mark.parametrize("knobs", BAD, ids=lambda k: repr(k)[13:])
async def test_bad_knobs_are_validation_errors_before_any_sql(knobs: VectorSearch) -> None:
    with pytest.raises(ValidationError):
        vector_search_settings(knobs)
    # Before connecting: the URL leads nowhere, yet the error is the knob's.
    with pytest.raises(ValidationError):
        async with open_store("postgresql://nobody@127.0.0.1:1/none", vector_search=knobs):
            pass


async def test_bad_query_knobs_fail_before_sql(store: Store, bank: str) -> None:
    for knobs in BAD:
        with pytest.raises(ValidationError):
            await store.recall.recall(bank, RecallQuery(embedding(1), vector_search=knobs))
        with pytest.raises(ValidationError):
            await store.recall.semantic(bank, embedding(1), fact_type="world", vector_search=knobs)


@pytest.mark.parametrize("per_transaction", [False, True], ids=["session", "per-transaction"])
async def test_store_knobs_and_call_knobs_reach_the_server_and_do_not_leak(
    provider: Provider, per_transaction: bool
) -> None:
    """One pooled connection, so every call below runs on the same server session: the
    store's knobs are there on every call, a call's knobs only inside that call (also in
    a tenant on the same pool, and inside an application's transaction)."""
    _pg(provider)
    store_knobs = VectorSearch(ef_search=150, max_scan_tuples=30_000)
    options = {"settings_per_transaction": per_transaction, "min_size": 1, "max_size": 1}
    async with store_on_new_schema(provider, vector_search=store_knobs, **options) as store:
        base = ("150", "strict_order", "30000")
        assert await _shown(store) == base
        call = {"hnsw.ef_search": "7", "hnsw.iterative_scan": "relaxed_order"}
        async with store.backend.vector_search(call):
            assert await _shown(store) == ("7", "relaxed_order", "30000")
        assert await _shown(store) == base
        async with store.transaction():
            async with store.backend.vector_search(call):
                assert await _shown(store) == ("7", "relaxed_order", "30000")
            assert await _shown(store) == base  # restored inside the outer transaction
        assert await _shown(store) == base
        tenant = store.tenant(store.schema)
        async with tenant.backend.vector_search(call):
            assert await _shown(tenant) == ("7", "relaxed_order", "30000")
        assert await _shown(tenant) == base
        # Through the public API: a recall with knobs, then the pooled session is clean.
        bank = f"vs-{uuid.uuid4().hex[:8]}"
        await store.banks.create(bank)
        await store.memories.retain(bank, [unit(i) for i in range(5)])
        query = RecallQuery(embedding(1), text="memory", vector_search=VectorSearch(ef_search=9))
        result = await store.recall.recall(bank, query)
        assert len(result.all_rows()) >= 5
        assert await _shown(store) == base


async def test_memrepo_default_ef_search(provider: Provider, store: Store) -> None:
    _pg(provider)
    assert (await _shown(store))[:2] == ("200", "strict_order")


async def test_oracle_refuses_the_knobs(provider: Provider, store: Store) -> None:
    if provider.backend == "postgresql":
        pytest.skip("Oracle's answer")
    with pytest.raises(ConfigurationError):
        async with store.backend.vector_search({"hnsw.ef_search": "100"}):
            pass
