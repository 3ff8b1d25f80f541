"""memrepo's PostgreSQL sessions plan every execution of a prepared statement for its
values (`plan_cache_mode = force_custom_plan`): whichever way the store's settings reach
the connection (startup packet, per transaction behind a pooler, a tenant on the shared
pool), for single statements and inside transactions. Why: docs/recall.md, "Filtered
arms and prepared statements"."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from repo.sql import Statement
from repo.store import Store
from tests.conftest import store_on_new_schema
from tests.providers import Provider

pytestmark = pytest.mark.integration

SHOW = Statement(
    "test.show_plan_cache_mode",
    sa.select(sa.func.current_setting(sa.literal_column("'plan_cache_mode'"))),
    register=False,
)
CUSTOM = "force_custom_plan"


async def _mode(store: Store) -> str:
    return str(await store.backend.fetchval(SHOW))


@pytest.mark.parametrize("per_transaction", [False, True], ids=["startup", "per-transaction"])
async def test_store_sessions_plan_each_execution_for_its_values(
    provider: Provider, per_transaction: bool
) -> None:
    if provider.backend != "postgresql":
        pytest.skip("a PostgreSQL setting (Oracle peeks at binds itself)")
    options = {"settings_per_transaction": per_transaction, "min_size": 1, "max_size": 1}
    async with store_on_new_schema(provider, **options) as store:
        assert await _mode(store) == CUSTOM
        async with store.transaction():
            assert await _mode(store) == CUSTOM
        tenant = store.tenant(store.schema)  # settings by SET on the shared pool
        assert await _mode(tenant) == CUSTOM
        async with tenant.transaction():
            assert await _mode(tenant) == CUSTOM
