"""Tenant isolation: two tenant schemas on one database, with the SAME bank ids, document
ids, chunk ids, entity names and even the same unit ids, never see each other's rows
through any repository method; and schema names are validated before any SQL runs.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from repo import migrate, migrate_sync
from repo.errors import ConfigurationError, NotFoundError
from repo.models import ChunkIn, EntityIn, LinkIn, MemoryFilter, OperationIn, RecallQuery
from repo.store import Store, connect_backend, open_store
from tests.conftest import store_on_new_schema
from tests.helpers import T0, embedding, unit
from tests.providers import Provider
from tests.tenants import drop_schema, prepare_schema

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

BANK = "shared-bank"
DOC = "shared-doc"
#: Unit ids used by BOTH tenants (primary keys are per schema).
IDS = [uuid.UUID(int=0xA000 + i) for i in range(6)]


@dataclass
class Tenant:
    store: Store
    tag: str  # every text this tenant writes contains it
    n_units: int
    unit_ids: list[uuid.UUID]
    observation: uuid.UUID
    op_ids: list[uuid.UUID]


async def populate(store: Store, tag: str, n_units: int) -> Tenant:
    """The same shapes and keys in every tenant; only `tag` (and counts) differ."""
    await store.banks.create(BANK, name=tag, metadata={"tenant": tag})
    await store.banks.create(f"only-{tag}")
    units = [
        unit(
            i,
            id=IDS[i],
            text=f"common words {tag} memory {i}",
            tags=["common", tag],
            entities=[EntityIn("Shared Person", tag), f"{tag} thing"],
            metadata={"tenant": tag},
        )
        for i in range(n_units)
    ]
    result = await store.documents.reingest(
        BANK,
        DOC,
        f"document of {tag}",
        chunks=[ChunkIn("chunk-1", f"{tag} chunk")],
        units=units,
        links=[LinkIn(IDS[0], IDS[1], "semantic", 0.5 if tag == "alpha" else 0.25)],
    )
    observation = await store.observations.create(
        BANK, f"common observation {tag}", embedding(99), [IDS[0]], tags=[tag]
    )
    ops = await store.operations.submit(
        BANK, OperationIn(f"{tag}-op", {"tenant": tag}, children=[OperationIn(f"{tag}-child")])
    )
    return Tenant(store, tag, n_units, result.unit_ids, observation, ops)


@pytest.fixture
async def tenants(provider: Provider) -> AsyncIterator[tuple[Tenant, Tenant]]:
    async with (
        store_on_new_schema(provider, max_size=4) as a,
        store_on_new_schema(provider, max_size=4) as b,
    ):
        assert a.schema != b.schema
        yield await populate(a, "alpha", 3), await populate(b, "beta", 5)


def own(t: Tenant, rows: Any, key: str = "text") -> bool:
    """Every row carries the tenant's tag (and there is at least one)."""
    values = [r[key] for r in rows]
    return bool(values) and all(t.tag in str(v) for v in values)


async def test_every_read_sees_only_its_own_tenant(tenants: tuple[Tenant, Tenant]) -> None:
    for t, other in (tenants, tenants[::-1]):
        s = t.store
        # banks
        assert (await s.banks.get(BANK))["name"] == t.tag
        assert {b["bank_id"] for b in await s.banks.list()} == {BANK, f"only-{t.tag}"}
        with pytest.raises(NotFoundError):
            await s.banks.get(f"only-{other.tag}")
        # memories: the same ids resolve to this tenant's rows only
        units = await s.memories.get(BANK, IDS)
        assert len(units) == t.n_units and own(t, units)
        assert t.tag in (await s.memories.get_one(BANK, IDS[0]))["text"]
        assert await s.memories.count(BANK) == t.n_units + 1  # + the observation
        listed = await s.memories.list(BANK, MemoryFilter(tags=["common"]), limit=100)
        assert len(listed) == t.n_units and own(t, listed)
        assert await s.memories.list(BANK, MemoryFilter(tags=[other.tag])) == []
        # recall arms
        for u in units:
            i = IDS.index(u["id"])
            [best] = await s.recall.semantic(BANK, embedding(i), fact_type=u["fact_type"], k=1)
            assert best["id"] == IDS[i] and t.tag in best["text"]
        assert own(t, await s.recall.fulltext(BANK, "common words", k=50))
        assert await s.recall.fulltext(BANK, other.tag) == []
        assert own(t, await s.recall.temporal(BANK, T0, T0 + timedelta(days=1)))
        expanded = await s.recall.expand(BANK, [IDS[0]])
        assert own(t, expanded)
        links = await s.links.outgoing(BANK, [IDS[0]])
        assert [r["weight"] for r in links] == [0.5 if t.tag == "alpha" else 0.25]
        mentions = await s.recall.entities_of(BANK, IDS)
        assert len(mentions) == 2 * t.n_units
        assert all(t.tag in (m["entity_type"] or m["name"]) for m in mentions)
        combined = await s.recall.recall(BANK, RecallQuery(embedding(0), text="common"))
        assert own(t, combined.all_rows()) and own(t, combined.text)
        # entities
        ents = await s.entities.list(BANK)
        assert [e["canonical_name"] for e in ents] == sorted(["shared person", f"{t.tag} thing"])
        person = await s.entities.by_name(BANK, "shared PERSON")
        assert person["entity_type"] == t.tag and person["mention_count"] == t.n_units
        assert len(await s.entities.units(BANK, person["id"])) == t.n_units
        # documents and chunks
        assert (await s.documents.get(BANK, DOC))["content"] == f"document of {t.tag}"
        assert [c["text"] for c in await s.documents.chunks(BANK, DOC)] == [f"{t.tag} chunk"]
        async with s.transaction():
            locked = await s.documents.lock(BANK, DOC)
            assert locked is not None and locked["version"] == 1
        # observations
        found = await s.observations.find_by_sources(BANK, [IDS[0]])
        assert [o["id"] for o in found] == [t.observation] and own(t, found)
        assert await s.observations.sources_of(BANK, [t.observation]) == {t.observation: [IDS[0]]}
        assert await s.observations.sources_of(BANK, [other.observation]) == {}
        # operations
        assert await s.operations.counts(BANK) == {"waiting": 1, "pending": 1}
        with pytest.raises(NotFoundError):
            await s.operations.get(BANK, other.op_ids[0])
        assert await s.operations.children(BANK, other.op_ids[0]) == []
        assert await s.operations.get_many(BANK, other.op_ids) == []
        assert [c["operation_type"] for c in await s.operations.children(BANK, t.op_ids[0])] == [
            f"{t.tag}-child"
        ]


async def test_writes_stay_in_their_tenant(tenants: tuple[Tenant, Tenant]) -> None:
    alpha, beta = tenants
    # A claim drains only its own tenant's queue.
    claimed = await alpha.store.operations.claim("worker", 100)
    assert [r["id"] for r in claimed] == alpha.op_ids[1:]  # the child (its parent waits)
    assert await beta.store.operations.counts(BANK) == {"waiting": 1, "pending": 1}
    for row in claimed:
        await alpha.store.operations.complete(
            row["bank_id"], row["id"], "worker", attempt=row["attempts"]
        )
    assert await beta.store.operations.claim("worker", 100) != []

    # Updating, re-ingesting, deleting the same keys in one tenant leaves the other as is.
    await alpha.store.memories.delete(BANK, [IDS[1]])
    assert [u["id"] for u in await beta.store.memories.get(BANK, [IDS[1]])] == [IDS[1]]
    await alpha.store.documents.reingest(BANK, DOC, "alpha v2", units=[unit(9, text="v2")])
    assert (await beta.store.documents.get(BANK, DOC))["version"] == 1
    assert await beta.store.memories.count(BANK) == beta.n_units + 1
    await alpha.store.banks.delete(BANK)
    assert (await beta.store.banks.get(BANK))["name"] == "beta"
    assert await beta.store.memories.count(BANK) == beta.n_units + 1
    assert await alpha.store.memories.count(BANK) == 0


# --------------------------------------------------------------------------- schema names

INJECTIONS = [
    'x"; drop table banks; --',
    "x; drop table banks",
    "public, pg_catalog",
    'a"b',
    "a'b",
    "a b",
    "a-b",
    "Public",  # upper case: Oracle and PostgreSQL would fold or keep it differently
    "1tenant",
    "",
    "t" * 64,
    "tenant\x00",
    "ténant",
    "$1",
]

UNREACHABLE = {
    "postgresql": "postgresql://nobody@127.0.0.1:1/nowhere",
    "oracle": "oracle://nobody:pw@127.0.0.1:1/NOWHERE",
}


@pytest.mark.parametrize("schema", INJECTIONS, ids=repr)
@pytest.mark.parametrize("backend", sorted(UNREACHABLE))
async def test_bad_schema_name_is_rejected_before_any_connection(backend: str, schema: str) -> None:
    """On an unreachable server: a ConfigurationError (not a connection error) proves the
    name was checked before anything was sent."""
    url = UNREACHABLE[backend]
    with pytest.raises(ConfigurationError):
        async with open_store(url, schema=schema):
            pass  # pragma: no cover
    with pytest.raises(ConfigurationError):
        async with open_store(url, schema=schema, run_migrations=False):
            pass  # pragma: no cover
    with pytest.raises(ConfigurationError):
        await migrate(url, schema=schema)
    with pytest.raises(ConfigurationError):
        migrate_sync(url, schema=schema)
    with pytest.raises(ConfigurationError):
        await connect_backend(url, schema=schema)


async def test_injection_attempt_on_a_live_database_changes_nothing(
    tenants: tuple[Tenant, Tenant], provider: Provider
) -> None:
    schema = 'x"; drop table banks; --'
    with pytest.raises(ConfigurationError):
        await migrate(provider.url, schema=schema)
    with pytest.raises(ConfigurationError):
        async with open_store(provider.url, schema=schema):
            pass  # pragma: no cover
    for t in tenants:
        assert (await t.store.banks.get(BANK))["name"] == t.tag
        assert await t.store.memories.count(BANK) == t.n_units + 1


async def test_reserved_word_schema_name_is_quoted(provider: Provider) -> None:
    """A valid name that is an SQL keyword works: every use of the name is quoted."""
    if provider.backend != "postgresql":
        pytest.skip("an Oracle tenant is a user, and Oracle reserves SELECT as a user name")
    schema = "select"
    await prepare_schema(provider.url, schema)
    try:
        async with open_store(provider.url, schema=schema, max_size=2) as s:
            assert s.schema == "select"
            await s.banks.create("b")
            [uid] = await s.memories.retain("b", [unit(1, entities=["Ann"])])  # COPY too
            assert [r["id"] for r in await s.memories.list("b")] == [uid]
    finally:
        await drop_schema(provider.url, schema)
