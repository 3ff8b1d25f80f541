"""Atomic writes: a batch the DATABASE rejects part-way leaves no row of it behind.

Each failure here is raised by the database (a primary key, a foreign key), not by the
validators, and happens after earlier statements of the same transaction have written:
the batch submit on its Nth child, the batch retain on its Nth unit or on its links
(after units, entities and mentions), the document re-ingest at each of its stages.
"""

from __future__ import annotations

import itertools
import types
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

import repo.repositories.operations as operations_module
from repo.errors import ConflictError
from repo.models import ChunkIn, EntityIn, LinkIn, MemoryIn, OperationIn
from repo.sql import Statement
from repo.store import Store
from schema.tables import entities
from tests.helpers import embedding, unit
from tests.inspection import ALL_ROWS, BY_BANK, bank_row_counts, spied, table_row_counts

pytestmark = [pytest.mark.integration, pytest.mark.reliability]


def test_row_count_statements_compile_for_both_dialects() -> None:
    from sqlalchemy.dialects.oracle.oracledb import OracleDialect_oracledb
    from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

    from repo.backends.oracle.codecs import build_bind_plan

    pg, ora = PGDialect_asyncpg(), OracleDialect_oracledb()  # type: ignore[no-untyped-call]
    for stmt in [*BY_BANK.values(), *ALL_ROWS.values(), ENTITY_COUNT]:
        assert stmt.compiled(pg).sql.startswith("SELECT")
        compiled = stmt.compiled(ora)
        assert compiled.params in ((), ("bank_id",))
        build_bind_plan(compiled)


ENTITY_COUNT = Statement(
    "test.entity_mentions",
    sa.select(entities.c.canonical_name, entities.c.mention_count)
    .where(entities.c.bank_id == sa.bindparam("bank_id"))
    .order_by(entities.c.canonical_name),
    register=False,
)


async def entity_mentions(store: Store, bank_id: str) -> list[tuple[str, int]]:
    rows = await store.backend.fetch(ENTITY_COUNT, {"bank_id": bank_id})
    return [(r["canonical_name"], r["mention_count"]) for r in rows]


# --------------------------------------------------------------------------- submit


def _uuid4_colliding_at(call: int, existing: uuid.UUID) -> Callable[[], uuid.UUID]:
    """A uuid4 that returns `existing` on its `call`-th use (0 = the parent)."""
    calls = itertools.count()

    def uuid4() -> uuid.UUID:
        return existing if next(calls) == call else uuid.uuid4()

    return uuid4


@pytest.mark.parametrize("nth_child", [1, 500, 999])
async def test_submit_rejected_by_the_database_on_the_nth_child_writes_nothing(
    fresh_store: Store, monkeypatch: pytest.MonkeyPatch, nth_child: int
) -> None:
    s = fresh_store
    await s.banks.create("b")
    [existing] = await s.operations.submit("b", OperationIn("earlier", {"keep": True}))
    before = await table_row_counts(s)

    # The Nth child gets the id of an operation already stored: the database rejects that
    # row (primary key) after the parent and the N-1 children before it were sent.
    fake = types.SimpleNamespace(uuid4=_uuid4_colliding_at(nth_child, existing), UUID=uuid.UUID)
    monkeypatch.setattr(operations_module, "uuid", fake)
    batch = OperationIn("parent", children=[OperationIn("child", {"i": i}) for i in range(999)])
    with pytest.raises(ConflictError):
        await s.operations.submit("b", batch)
    monkeypatch.undo()

    assert await table_row_counts(s) == before
    assert await s.operations.counts("b") == {"pending": 1}
    kept = await s.operations.get("b", existing)
    assert (kept["operation_type"], kept["payload"], kept["parent_id"]) == (
        "earlier", {"keep": True}, None,
    )  # fmt: skip


async def test_submit_to_a_missing_bank_writes_nothing(fresh_store: Store) -> None:
    s = fresh_store
    await s.banks.create("b")
    before = await table_row_counts(s)
    batch = OperationIn("parent", children=[OperationIn("child") for _ in range(50)])
    with pytest.raises(ConflictError):
        await s.operations.submit("no-such-bank", batch)
    assert await table_row_counts(s) == before
    assert await s.operations.claim("w", 100) == []


# --------------------------------------------------------------------------- retain


def _batch(n: int, **kw: Any) -> list[MemoryIn]:
    return [
        unit(i, entities=[EntityIn("Alice", "person"), f"topic {i % 4}"], **kw) for i in range(n)
    ]


async def _seed(store: Store, bank: str) -> list[uuid.UUID]:
    """Existing units (with an entity the failed batch also mentions) and a link."""
    ids = await store.memories.retain(bank, [unit(1000 + i, entities=["Alice"]) for i in range(3)])
    await store.memories.add_links(bank, [LinkIn(ids[0], ids[1], "semantic", 0.5)])
    return ids


def _fields(m: MemoryIn) -> dict[str, Any]:
    return {f: getattr(m, f) for f in m.__dataclass_fields__}


def _replace(units: list[MemoryIn], i: int, **change: Any) -> list[MemoryIn]:
    return [*units[:i], MemoryIn(**{**_fields(units[i]), **change}), *units[i + 1 :]]


def _unit_id_taken(seeded: list[uuid.UUID], units: list[MemoryIn]) -> Any:
    # The 150th unit reuses an existing unit's id: the unit insert fails part-way.
    return _replace(units, 150, id=seeded[0]), []


def _unknown_document(seeded: list[uuid.UUID], units: list[MemoryIn]) -> Any:
    # The 150th unit cites a document the bank does not have (composite foreign key).
    return _replace(units, 150, document_id="nope"), []


def _link_to_missing_unit(seeded: list[uuid.UUID], units: list[MemoryIn]) -> Any:
    # Units, entities and mentions are written; then a link points at no unit.
    ids = [uuid.uuid4() for _ in units]
    with_ids = [MemoryIn(**{**_fields(u), "id": i}) for u, i in zip(units, ids, strict=True)]
    links = [
        LinkIn(ids[0], ids[1], "semantic", 0.9),
        LinkIn(ids[1], seeded[0], "entity", 0.7),
        LinkIn(ids[2], uuid.uuid4(), "causal", 0.4),
    ]
    return with_ids, links


#: Where a retain counts entity pairs: one set-based statement where the backend keeps
#: its row order (PostgreSQL), else an executemany of the one-row upsert (Oracle).
COUNT_PAIRS = "entities.cooccurrences.count"


def _counting_as(store: Store, names: list[str]) -> list[str]:
    batch = store.backend.capabilities.ordered_array_upsert
    actual = "entities.cooccurrences." + ("increment_batch" if batch else "increment")
    return [actual if n == COUNT_PAIRS else n for n in names]


RETAIN_FAILURES: dict[str, Callable[[list[uuid.UUID], list[MemoryIn]], Any]] = {
    "unit id taken": _unit_id_taken,
    "unknown document": _unknown_document,
    "link to a missing unit": _link_to_missing_unit,
}
#: What the transaction had written when the database refused the next statement.
#: Every write starts with the bank lock.
RETAIN_WRITTEN_FIRST = {
    "unit id taken": ["banks.lock_for_write"],
    "unknown document": ["banks.lock_for_write"],
    "link to a missing unit": [
        "banks.lock_for_write", "memory_units", "memories.lock_referenced", "entities.upsert",
        "entities.ids_by_name",
        "unit_entities", COUNT_PAIRS,
    ],
}  # fmt: skip


@pytest.mark.parametrize("failure", sorted(RETAIN_FAILURES))
async def test_retain_failing_midway_leaves_none_of_its_rows(
    store: Store, bank: str, failure: str
) -> None:
    seeded = await _seed(store, bank)
    before = await bank_row_counts(store, bank)
    mentions_before = await entity_mentions(store, bank)
    units, links = RETAIN_FAILURES[failure](seeded, _batch(200))

    spy_store, spy = spied(store)
    with pytest.raises(ConflictError):
        await spy_store.memories.retain(bank, units, links)
    assert spy.calls[-1][2] is False  # the database refused the last statement sent
    assert spy.succeeded() == _counting_as(store, RETAIN_WRITTEN_FIRST[failure])

    assert await bank_row_counts(store, bank) == before  # units, entities, mentions, links
    assert await entity_mentions(store, bank) == mentions_before  # upserted counts undone
    assert {r["id"] for r in await store.memories.list(bank, limit=1000)} == set(seeded)
    # ...and the same batch, corrected, goes in whole.
    fixed = [MemoryIn(**{**_fields(u), "id": None, "document_id": None}) for u in units]
    assert len(await store.memories.retain(bank, fixed)) == 200


# --------------------------------------------------------------------------- re-ingest


async def _document_state(store: Store, bank: str, document_id: str) -> dict[str, Any]:
    doc = await store.documents.get(bank, document_id)
    chunks = await store.documents.chunks(bank, document_id)
    units = await store.memories.list(bank, limit=1000)
    unit_ids = [u["id"] for u in units]
    observations = await store.observations.find_by_sources(bank, unit_ids)
    return {
        "document": {k: doc[k] for k in ("content", "content_hash", "version", "metadata")},
        "updated_at": doc["updated_at"],
        "chunks": [(c["chunk_id"], c["chunk_index"], c["text"]) for c in chunks],
        "units": sorted((str(u["id"]), u["document_id"], u["text"]) for u in units),
        "observations": sorted(str(o["id"]) for o in observations),
        "sources": {
            str(k): sorted(map(str, v))
            for k, v in (
                await store.observations.sources_of(bank, [o["id"] for o in observations])
            ).items()
        },
        "entities": await entity_mentions(store, bank),
        "rows": await bank_row_counts(store, bank),
    }


def _chunk_id_taken(other_unit: uuid.UUID) -> dict[str, Any]:
    # After the document row is updated and the old units, observations and chunks are
    # deleted: a new chunk id is taken by another document of the bank.
    return {
        "chunks": [ChunkIn("fresh-1", "v2 a"), ChunkIn("taken", "v2 b")],
        "units": [unit(20), unit(21)],
    }


def _new_unit_id_taken(other_unit: uuid.UUID) -> dict[str, Any]:
    # After the new chunks are in: a new unit reuses another document's unit id.
    return {"chunks": [ChunkIn("fresh-1", "v2 a")], "units": [unit(20), unit(21, id=other_unit)]}


def _dangling_link(other_unit: uuid.UUID) -> dict[str, Any]:
    # At the very end, after the new units, entities and mentions: a dangling link.
    new = uuid.uuid4()
    return {
        "chunks": [ChunkIn("fresh-1", "v2 a")],
        "units": [unit(20, id=new, entities=["Bob", "Carol"]), unit(21)],
        "links": [LinkIn(new, uuid.uuid4(), "causal", 0.3)],
    }


REINGEST_FAILURES: dict[str, Callable[[uuid.UUID], dict[str, Any]]] = {
    "chunk id taken": _chunk_id_taken,
    "unit id taken": _new_unit_id_taken,
    "dangling link": _dangling_link,
}
_REPLACED = [
    "banks.lock_for_write", "documents.insert_if_absent", "documents.lock",
    "documents.upsert", "chunks.list_for_document", "documents.unit_ids",
    "observations.ids_by_sources", "memories.lock", "links.lock_of_units",
    "entities.mentions_of_units", "entities.cooccurrences.mentions",
    "memories.delete", "entities.unmention", "entities.prune_orphans",
    "entities.cooccurrences.decrement", "entities.cooccurrences.prune",
    "chunks.delete_for_document",
]  # fmt: skip
REINGEST_WRITTEN_FIRST = {
    "chunk id taken": _REPLACED,
    "unit id taken": [*_REPLACED, "chunks", "banks.lock_for_write"],
    "dangling link": [
        *_REPLACED, "chunks", "banks.lock_for_write", "memory_units",
        "memories.lock_referenced", "entities.upsert", "entities.ids_by_name", "unit_entities",
        COUNT_PAIRS,
    ],
}  # fmt: skip


@pytest.mark.parametrize("failure", sorted(REINGEST_FAILURES))
async def test_failed_reingest_keeps_the_previous_version(
    store: Store, bank: str, failure: str
) -> None:
    v1 = await store.documents.reingest(
        bank,
        "doc",
        "version one",
        metadata={"v": 1},
        chunks=[ChunkIn("c1", "one a"), ChunkIn("c2", "one b")],
        units=[unit(1, entities=["Alice"]), unit(2, entities=["Alice", "Bob"])],
    )
    await store.observations.create(bank, "Alice again", embedding(9), [v1.unit_ids[0]])
    other = await store.documents.reingest(
        bank, "other", "another document", chunks=[ChunkIn("taken", "x")], units=[unit(3)]
    )
    before = await _document_state(store, bank, "doc")

    spy_store, spy = spied(store)
    change = REINGEST_FAILURES[failure](other.unit_ids[0])
    with pytest.raises(ConflictError):
        await spy_store.documents.reingest(bank, "doc", "version two", metadata={"v": 2}, **change)
    assert spy.calls[-1][2] is False
    written = [name.partition(".array")[0].partition(".table")[0] for name in spy.succeeded()]
    assert written == _counting_as(store, REINGEST_WRITTEN_FIRST[failure])

    assert await _document_state(store, bank, "doc") == before
    assert [c["chunk_id"] for c in await store.documents.chunks(bank, "other")] == ["taken"]


async def test_failed_delta_reingest_keeps_the_previous_version(store: Store, bank: str) -> None:
    """A delta re-ingest (one chunk kept, one changed) that fails at its last statement
    leaves every unit, link, mention, observation and chunk of the previous version."""
    a, b = uuid.uuid4(), uuid.uuid4()
    v1 = await store.documents.reingest(
        bank,
        "doc",
        "version one",
        chunks=[ChunkIn("c1", "one a"), ChunkIn("c2", "one b")],
        units=[
            unit(1, id=a, chunk_id="c1", entities=["Alice", "Bob"]),
            unit(2, id=b, chunk_id="c2", entities=["Bob", "Carol"]),
        ],
        links=[LinkIn(a, b, "semantic", 0.5), LinkIn(b, a, "causal", 0.4)],
    )
    assert v1.unit_ids == [a, b]
    await store.observations.create(bank, "Bob", embedding(9), [a, b])
    before = await _document_state(store, bank, "doc")
    links_before = await store.links.outgoing(bank, [a, b])

    new = uuid.uuid4()
    spy_store, spy = spied(store)
    with pytest.raises(ConflictError):
        await spy_store.documents.reingest(
            bank,
            "doc",
            "version two",
            chunks=[ChunkIn("c1", "one a"), ChunkIn("c2", "two b")],
            units=[unit(20, id=new, chunk_id="c2", entities=["Dan"])],
            links=[LinkIn(new, uuid.uuid4(), "causal", 0.3)],  # dangling: refused last
        )
    written = [name.partition(".array")[0].partition(".table")[0] for name in spy.succeeded()]
    assert "memories.delete" in written and "unit_entities" in written
    assert spy.calls[-1][2] is False

    assert await _document_state(store, bank, "doc") == before
    assert await store.links.outgoing(bank, [a, b]) == links_before
