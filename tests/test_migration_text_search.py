"""Revision 0008 (stored text search) on a database holding data written before it: every
row and the other indexes are kept, each unit gets its vector over text and context (the
lexemes checked here), the expression index is replaced by the column's GIN index, there
is no drift, and the text arm then finds words of the context; the downgrade restores
0007 exactly. The configuration is chosen per store when the revision runs, validated, and
used by a store opened later without it."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from repo.errors import ConfigurationError
from repo.migrations import downgrade_sync, migrate
from repo.store import open_store
from tests.conftest import new_schema
from tests.helpers import unit
from tests.migration_data import (
    TABLES,
    indexes,
    load_0001,
    schema_connection,
    snapshot,
)
from tests.providers import Provider
from tests.tenants import drop_schema
from tests.test_migrations import schema_diff

pytestmark = pytest.mark.integration

#: A context longer than the part that is indexed (8,192 characters), ending in a word.
LONG_CONTEXT = "padding " * 1100 + "farawayword"


async def test_0008_vectors_for_existing_units(provider: Provider) -> None:
    if provider.backend != "postgresql":
        pytest.skip("the rows are written with PostgreSQL SQL; Oracle's half is golden-filed")
    schema = new_schema()
    try:
        await migrate(provider.url, schema=schema, revision="0001")
        async with schema_connection(provider.url, schema) as conn:
            ids = await load_0001(conn)
            await migrate(provider.url, schema=schema, revision="0007")
            await conn.execute(
                "UPDATE memory_units SET context = 'drinking oolong in gardens' WHERE id = $1",
                ids["u2"],
            )
            await conn.execute(
                "UPDATE memory_units SET context = $2 WHERE id = $1", ids["obs"], LONG_CONTEXT
            )
            before, indexes_before = await snapshot(conn), await indexes(conn, schema)
            storage_before = await _storage(conn)
            await migrate(provider.url, schema=schema, revision="0008")
            after, indexes_after = await snapshot(conn), await indexes(conn, schema)
            # The embedding stays in the row (MAIN storage, rows up to 4 KB kept whole).
            assert await _storage(conn) == ("m", ["toast_tuple_target=4080"])
            lexemes = {
                r["id"]: set(r["lexemes"])
                for r in await conn.fetch(
                    "SELECT id, tsvector_to_array(search_vector) AS lexemes FROM memory_units"
                )
            }

        for table in TABLES:
            if table != "memory_units":
                assert after[table] == before[table], table
        stripped = sorted(
            ({k: v for k, v in r.items() if k != "search_vector"} for r in after["memory_units"]),
            key=repr,
        )
        assert stripped == before["memory_units"] and len(stripped) == 3
        assert lexemes[ids["u1"]] == {"alic", "met", "bob"}  # english stems, no stop words
        assert lexemes[ids["u2"]] == {"bob", "like", "tea", "drink", "oolong", "garden"}
        assert lexemes[ids["obs"]] == {"bob", "social", "pad"}  # context past 8,192 left out
        expected = {k: v for k, v in indexes_before.items() if k != "ix_memory_units_text_fts"}
        expected["ix_memory_units_search_vector"] = (
            f"CREATE INDEX ix_memory_units_search_vector ON {schema}.memory_units"
            " USING gin (search_vector)"
        )
        assert indexes_after == expected
        await migrate(provider.url, schema=schema)  # the later revisions: no drift at head
        assert await schema_diff(provider.url, schema) == []

        async with open_store(provider.url, schema=schema, run_migrations=False) as store:
            found = await store.recall.fulltext("b1", "oolong gardens")
            assert [r["id"] for r in found] == [ids["u2"]]
            assert await store.recall.fulltext("b1", "farawayword") == []

        await asyncio.to_thread(downgrade_sync, provider.url, schema=schema, revision="0007")
        async with schema_connection(provider.url, schema) as conn:
            assert await snapshot(conn) == before
            assert await indexes(conn, schema) == indexes_before
            assert await _storage(conn) == storage_before == ("e", None)
            function = await conn.fetchval("SELECT to_regproc($1)", f"{schema}.text_search_query")
            assert function is None
    finally:
        await drop_schema(provider.url, schema)


async def _storage(conn: asyncpg.Connection) -> tuple[str, list[str] | None]:
    """The embedding column's storage and memory_units' storage parameters."""
    row = await conn.fetchrow(
        "SELECT a.attstorage::text, c.reloptions FROM pg_attribute a JOIN pg_class c"
        " ON c.oid = a.attrelid WHERE c.oid = 'memory_units'::regclass"
        " AND a.attname = 'embedding'"
    )
    return row["attstorage"], row["reloptions"]


async def test_text_search_config_is_the_stores_own(provider: Provider) -> None:
    """A `simple` store keeps stop words and does not stem; opened later without the
    option, its queries still use `simple` (the schema's own query function)."""
    if provider.backend != "postgresql":
        pytest.skip("PostgreSQL configurations; Oracle maps them to stoplists (golden-filed)")
    simple, english = new_schema(), new_schema()
    try:
        for schema, config in ((simple, "simple"), (english, None)):
            async with open_store(provider.url, schema=schema, text_search_config=config) as store:
                await store.banks.create("b1")
                await store.memories.retain("b1", [unit(1, text="the dogs were running")])
        found: dict[str, tuple[int, int, int]] = {}
        for schema in (simple, english):
            async with open_store(provider.url, schema=schema, run_migrations=False) as store:
                counts = [
                    len(await store.recall.fulltext("b1", q, mode=m))
                    for q, m in (("the", "all"), ("run", "all"), ("the running", "any"))
                ]
                found[schema] = (counts[0], counts[1], counts[2])
        assert found[simple] == (1, 0, 1)  # stop word kept, no stemming
        assert found[english] == (0, 1, 1)  # stop word dropped, running -> run
    finally:
        await drop_schema(provider.url, simple)
        await drop_schema(provider.url, english)


@pytest.mark.parametrize(
    "name", ["english'; DROP TABLE banks; --", "English", "", "a b", "x" * 64, 7]
)
async def test_bad_config_names_are_refused_before_connecting(name: object) -> None:
    with pytest.raises(ConfigurationError, match="text-search configuration"):
        await migrate("postgresql://nobody@127.0.0.1:1/none", text_search_config=name)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="text-search configuration"):
        async with open_store(
            "postgresql://nobody@127.0.0.1:1/none",
            text_search_config=name,  # type: ignore[arg-type]
        ):
            pass


async def test_unknown_config_fails_the_migration_and_changes_nothing(
    provider: Provider,
) -> None:
    if provider.backend != "postgresql":
        pytest.skip("PostgreSQL's catalog of configurations")
    schema = new_schema()
    try:
        await migrate(provider.url, schema=schema, revision="0007")
        with pytest.raises(ConfigurationError, match="does not exist"):
            await migrate(provider.url, schema=schema, text_search_config="klingon")
        async with schema_connection(provider.url, schema) as conn:
            revision = await conn.fetchval(f'SELECT version_num FROM "{schema}".alembic_version')
        assert revision == "0007"
    finally:
        await drop_schema(provider.url, schema)
