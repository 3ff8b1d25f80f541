"""What memrepo sends to PostgreSQL per call, counted on the connection (asyncpg's query
logger sees every statement, the pool's reset query included): a combined recall sends
its three statements and nothing else, even when its semantic arms run short on the
vector index (each arm's exact search is inside the first statement), and `semantic()`
sends one; a release after a clean finish skips the reset query, every other release runs
it, and no session state leaks to the next user."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from repo.bench.data import BankSpec, SyntheticBank
from repo.models import (
    GraphQuery,
    MemoryIn,
    RecallFilter,
    RecallQuery,
    TemporalQuery,
    VectorSearch,
)
from repo.repositories.recall import (
    ARMS,
    ARMS_TEMPORAL,
    SEMANTIC,
    UNIT_ENTITIES,
    expand_statement,
)
from repo.repositories.recall.filters import bind_filter
from repo.repositories.recall.mmr import UNIT_ENTITIES_EMBEDDINGS
from repo.repositories.recall.temporal import bind_temporal
from repo.sql import Statement
from repo.sql.filters import NO_FILTER
from repo.store import Store, open_store
from repo.vector_search import vector_search_settings
from schema.tables import FACT_TYPES
from tests.helpers import T0, embedding, unit
from tests.providers import Provider

pytestmark = pytest.mark.integration


def _setting(name: str) -> Statement:
    value = sa.func.current_setting(sa.literal_column(f"'{name}'"))
    return Statement(f"test.setting_{name}", sa.select(value), register=False)


WORK_MEM = _setting("work_mem")
SEARCH_PATH = _setting("search_path")
RESET = "RESET ALL"


class Logged:
    """A store on one pooled connection whose every statement is logged."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queries: list[str] = []

    def log(self, record: Any) -> None:
        self.queries.append(record.query)

    def resets(self) -> int:
        return sum(RESET in q for q in self.queries)


@pytest.fixture
async def logged(store: Store, provider: Provider) -> AsyncIterator[Logged]:
    if store.backend.name != "postgresql":
        pytest.skip("asyncpg's pool reset is a PostgreSQL backend matter")
    async with open_store(
        provider.url, schema=store.schema, run_migrations=False, min_size=1, max_size=1
    ) as s:
        out = Logged(s)
        async with s.backend.pool.acquire() as conn:  # type: ignore[attr-defined]
            conn.add_query_logger(out.log)
        out.queries.clear()
        yield out


async def test_a_combined_recall_sends_its_three_statements_and_nothing_else(
    logged: Logged, bank: str
) -> None:
    store = logged.store
    await store.memories.retain(bank, [unit(i, entities=["Ann"]) for i in range(12)])
    logged.queries.clear()
    query = RecallQuery(embedding=embedding(1), text="memory", k_semantic=3, k_text=3, seeds=2)
    result = await store.recall.recall(bank, query)
    assert result.graph and result.entities and result.fused
    arms = ARMS.shape(fact_types=FACT_TYPES, text=True, fallback=True)
    expand = expand_statement(sources_table=False, observations=True, where=NO_FILTER)
    expected = [s.compiled(store.backend.dialect).sql for s in (arms, expand, UNIT_ENTITIES)]
    # No BEGIN, no SET, no reset query: one message per statement.
    assert logged.queries == expected


async def test_every_arm_filtered_fused_and_diversified_is_still_three_statements(
    logged: Logged, bank: str
) -> None:
    store = logged.store
    # Enough units that every filtered arm fills its k on the index path.
    await store.memories.retain(bank, [unit(i, entities=["Ann"]) for i in range(60)])
    logged.queries.clear()
    where_filter = RecallFilter(tags=["tag1", "tag2"], untagged="exclude")
    temporal_query = TemporalQuery(T0, T0 + timedelta(hours=8), k=4, spread=2)
    query = RecallQuery(
        embedding=embedding(1), text="memory", k_semantic=3, k_text=3, seeds=2,
        where=where_filter, temporal=temporal_query,
        graph=GraphQuery(link_weights={"causal": 2.0}, entity_fanout=3), mmr_lambda=0.5,
    )  # fmt: skip
    result = await store.recall.recall(bank, query)
    assert result.temporal and result.graph and result.entities and result.fused
    where = bind_filter(where_filter)[0]
    temporal = bind_temporal("t", temporal_query, has_embedding=True)[0]
    arms = ARMS_TEMPORAL.shape(
        fact_types=FACT_TYPES, text=True, temporal=temporal, where=where, fallback=True
    )
    expand = expand_statement(sources_table=False, observations=True, where=where)
    statements = (arms, expand, UNIT_ENTITIES_EMBEDDINGS)
    assert logged.queries == [s.compiled(store.backend.dialect).sql for s in statements]


SPARSE_UNITS = 3000
SPARSE_K = 10
SPARSE_SPEC = BankSpec(items=SPARSE_UNITS, seed=11, corpus="sentences")
#: 4% of the units, spread over the bank independently of their text and embedding.
RARE = RecallFilter(tags=["rare"], untagged="exclude")
#: An HNSW scan that stops after 10 candidates: under RARE it finds fewer than k matches.
SHORT_SCAN = VectorSearch(iterative_scan="off", ef_search=10)


@pytest.fixture(scope="module")
async def sparse_bank(store: Store) -> AsyncIterator[tuple[str, list[MemoryIn]]]:
    """Real sentences with lexical-neighbourhood embeddings; `rare` on 4% of them."""
    if store.backend.name != "postgresql":
        pytest.skip("asyncpg's query logger counts the statements")
    bank_id = f"sparse-{uuid.uuid4().hex[:12]}"
    await store.banks.create(bank_id)
    units = []
    for u in SyntheticBank(SPARSE_SPEC).units(0, SPARSE_UNITS):
        assert u.id is not None
        bucket = int(hashlib.sha256(u.id.bytes).hexdigest()[:8], 16) / 2**32
        units.append(replace(u, tags=["rare"] if bucket < 0.04 else ["common"], entities=[]))
    await store.memories.retain(bank_id, units)
    yield bank_id, units
    await store.banks.delete(bank_id)


def _brute_force(units: list[MemoryIn], query: list[float], fact_type: str) -> list[uuid.UUID]:
    """The k nearest `rare` units of a fact type by numpy cosine similarity."""
    chosen = [u for u in units if u.fact_type == fact_type and "rare" in (u.tags or [])]
    assert len(chosen) >= SPARSE_K, fact_type
    vectors = np.array([np.asarray(u.embedding, dtype=np.float64) for u in chosen])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    q = np.asarray(query, dtype=np.float64)
    sims = vectors @ (q / np.linalg.norm(q))
    return [chosen[i].id for i in np.argsort(-sims, kind="stable")[:SPARSE_K]]  # type: ignore[misc]


@contextlib.asynccontextmanager
async def _on_the_vector_index(logged: Logged) -> AsyncIterator[list[str]]:
    """A transaction steered onto the HNSW indexes (at this size the planner would read
    the few matches and sort them); yields the statements sent inside it after the
    steering (transaction control and the knobs' settings statement left out)."""
    from repo.backends.postgres import PostgresBackend

    backend = logged.store.backend
    assert isinstance(backend, PostgresBackend)
    sent: list[str] = []
    async with logged.store.transaction():
        conn = backend._conn.get()
        await conn.execute("SET LOCAL enable_seqscan = off")
        await conn.execute("SET LOCAL enable_sort = off")
        await _logged(logged)
        yield sent
        await asyncio.sleep(0)
        sent.extend(q for q in logged.queries if not _control(q))


async def _logged(logged: Logged) -> None:
    """Let the query logger's callbacks (scheduled with `call_soon`) run, then clear."""
    await asyncio.sleep(0)
    logged.queries.clear()


def _control(sql: str) -> bool:
    """Transaction control and the vector-search knobs' settings statement."""
    head = sql.lstrip().upper()
    return head.startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT")) or "SET_CONFIG" in head


async def test_a_recall_whose_semantic_arms_run_short_is_still_three_statements(
    logged: Logged, sparse_bank: tuple[str, list[MemoryIn]]
) -> None:
    """With a scan that stops early and a 4% filter, every semantic arm's index path
    returns fewer than k rows: the exact search inside the arms statement fills each arm
    with the true k nearest (brute force over the same filtered units), and the recall
    sends three statements (it sent one more per short arm: six)."""
    store = logged.store
    bank, units = sparse_bank
    query = SyntheticBank(SPARSE_SPEC).query(0)
    recall = RecallQuery(
        query.embedding, text=query.text, k_semantic=SPARSE_K, where=RARE, vector_search=SHORT_SCAN
    )
    where, params = bind_filter(RARE)
    index_params = {"bank_id": bank, "embedding": query.embedding, "k": SPARSE_K} | params
    async with _on_the_vector_index(logged) as sent:
        # The proof that the arms run short: each index path alone, as steered here.
        async with store.backend.vector_search(vector_search_settings(SHORT_SCAN)):
            for ft in FACT_TYPES:
                index_path = SEMANTIC.shape(fact_type=ft, where=where.for_semantic())
                assert len(await store.backend.fetch(index_path, index_params)) < SPARSE_K, ft
        await _logged(logged)
        result = await store.recall.recall(bank, recall)
    assert len(sent) == 3, [q[:60] for q in sent]
    arms = ARMS.shape(fact_types=FACT_TYPES, text=True, where=where, fallback=True)
    expand = expand_statement(sources_table=False, observations=True, where=where)
    dialect = store.backend.dialect
    assert sent == [s.compiled(dialect).sql for s in (arms, expand, UNIT_ENTITIES)]
    for ft in FACT_TYPES:
        rows = result.semantic[ft]
        assert len(rows) == SPARSE_K, ft
        assert {r["id"] for r in rows} == set(_brute_force(units, query.embedding, ft)), ft
        scores = [float(r["score"]) for r in rows]
        assert scores == sorted(scores, reverse=True), ft


async def test_a_short_semantic_search_is_one_statement(
    logged: Logged, sparse_bank: tuple[str, list[MemoryIn]]
) -> None:
    """`semantic()` under the same short scan: one statement, the true k nearest."""
    store = logged.store
    bank, units = sparse_bank
    query = SyntheticBank(SPARSE_SPEC).query(1).embedding
    # asyncpg introspects the row types once per connection: not counted here.
    await store.recall.semantic(bank, query, fact_type="world", k=SPARSE_K, where=RARE)
    async with _on_the_vector_index(logged) as sent:
        rows = await store.recall.semantic(
            bank, query, fact_type="world", k=SPARSE_K, where=RARE, vector_search=SHORT_SCAN
        )
    assert len(sent) == 1, [q[:60] for q in sent]
    where = bind_filter(RARE)[0]
    stmt = SEMANTIC.shape(fact_type="world", where=where, fallback=True)
    assert sent == [stmt.compiled(store.backend.dialect).sql]
    assert len(rows) == SPARSE_K
    assert {r["id"] for r in rows} == set(_brute_force(units, query, "world"))


async def test_single_calls_and_committed_transactions_skip_the_reset_query(
    logged: Logged, bank: str
) -> None:
    store = logged.store
    await store.memories.retain(bank, [unit(i) for i in range(3)])
    logged.queries.clear()
    await store.recall.fulltext(bank, "memory", k=2)
    await store.memories.list(bank)
    async with store.transaction():
        await store.recall.fulltext(bank, "memory", k=2)
    assert len(logged.queries) == 5  # two reads, BEGIN, the read, COMMIT
    assert logged.resets() == 0


async def test_a_release_after_an_error_runs_the_reset_query(logged: Logged, bank: str) -> None:
    store = logged.store
    logged.queries.clear()
    with pytest.raises(RuntimeError):
        async with store.backend.one_connection():
            await store.recall.fulltext(bank, "memory", k=2)
            raise RuntimeError("the block failed")
    assert logged.resets() == 1
    logged.queries.clear()
    with pytest.raises(RuntimeError):
        async with store.transaction():
            await store.recall.fulltext(bank, "memory", k=2)
            raise RuntimeError("the transaction failed")
    assert logged.resets() == 1


async def test_an_application_connection_is_reset_before_memrepo_uses_it(logged: Logged) -> None:
    store = logged.store
    default = await store.backend.fetchval(WORK_MEM)
    async with store.backend.pool.acquire() as conn:  # type: ignore[attr-defined]
        await conn.execute("SET work_mem = '7777kB'")
    assert logged.resets() == 1
    assert await store.backend.fetchval(WORK_MEM) == default != "7777kB"


async def test_a_tenant_on_the_shared_pool_resets_its_settings(
    logged: Logged, provider: Provider, store: Store
) -> None:
    base = logged.store
    # Another schema on the same pool sets its search path per statement (SESSION).
    tenant = base.tenant("memrepo_round_trip_tenant")
    logged.queries.clear()
    await tenant.backend.fetchval(WORK_MEM)
    assert logged.resets() == 1
    assert store.schema in await base.backend.fetchval(SEARCH_PATH)
