"""What memrepo sends to PostgreSQL per call, counted on the connection (asyncpg's query
logger sees every statement, the pool's reset query included): a combined recall sends
its statements and nothing else; a release after a clean finish skips the reset query,
every other release runs it, and no session state leaks to the next user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from repo.models import GraphQuery, RecallFilter, RecallQuery, TemporalQuery
from repo.repositories.recall import ARMS, ARMS_TEMPORAL, UNIT_ENTITIES, expand_statement
from repo.repositories.recall.filters import bind_filter
from repo.repositories.recall.mmr import UNIT_ENTITIES_EMBEDDINGS
from repo.repositories.recall.temporal import bind_temporal
from repo.sql import Statement
from repo.sql.filters import NO_FILTER
from repo.store import Store, open_store
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
    arms = ARMS.shape(fact_types=FACT_TYPES, text=True)
    expand = expand_statement(sources_table=False, observations=True, where=NO_FILTER)
    expected = [s.compiled(store.backend.dialect).sql for s in (arms, expand, UNIT_ENTITIES)]
    # No BEGIN, no SET, no reset query: one message per statement.
    assert logged.queries == expected


async def test_every_arm_filtered_fused_and_diversified_is_still_three_statements(
    logged: Logged, bank: str
) -> None:
    store = logged.store
    # Enough units that every filtered arm fills its k (no exact search runs).
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
    arms = ARMS_TEMPORAL.shape(fact_types=FACT_TYPES, text=True, temporal=temporal, where=where)
    expand = expand_statement(sources_table=False, observations=True, where=where)
    statements = (arms, expand, UNIT_ENTITIES_EMBEDDINGS)
    assert logged.queries == [s.compiled(store.backend.dialect).sql for s in statements]


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
