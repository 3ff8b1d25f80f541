"""An agent-memory engine's flows end to end, through the public API only: retain a
conversation, consolidate it into an observation, recall, curate, re-ingest a document,
read the bank's figures, delete the bank; the same flow for two tenants on one pool and
inside a host transaction that rolls back; and hostile input on the newer methods.
Every expected value is computed in Python from what the test wrote."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from itertools import combinations
from typing import Any

import pytest

from repo.errors import MemrepoError, NotFoundError, ValidationError
from repo.models import (
    ChunkIn,
    LinkIn,
    MemoryIn,
    ObservationUpdate,
    RecallFilter,
    RecallQuery,
)
from repo.store import Store
from tests.conftest import new_schema
from tests.helpers import T0, embedding, near
from tests.inspection import bank_row_counts, table_row_counts
from tests.providers import Provider
from tests.tenants import drop_schema, prepare_schema

pytestmark = pytest.mark.integration

#: A conversation's facts: text, fact type, entities.
FACTS = [
    ("Alice moved to Lisbon in spring", "world", ["Alice", "Lisbon"]),
    ("Alice works with Bob at Acme", "world", ["Alice", "Bob", "Acme"]),
    ("I had coffee with Alice and Bob in Lisbon", "experience", ["Alice", "Bob", "Lisbon"]),
    ("Bob lives in Porto", "world", ["Bob", "Porto"]),
]


def _units() -> list[MemoryIn]:
    return [
        MemoryIn(
            id=uuid.uuid4(),
            text=text,
            embedding=embedding(f"fact{i}"),
            fact_type=ft,
            event_date=T0 + timedelta(hours=i),
            entities=names,
            tags=["chat"],
        )
        for i, (text, ft, names) in enumerate(FACTS)
    ]


def _cooccurrences(facts: list[list[str]]) -> dict[str, Counter[str]]:
    """For each entity (case-folded), how many units mention it with each other entity."""
    out: dict[str, Counter[str]] = {}
    for names in facts:
        for a, b in combinations(sorted({n.casefold() for n in names}), 2):
            out.setdefault(a, Counter())[b] += 1
            out.setdefault(b, Counter())[a] += 1
    return out


async def _related(store: Store, bank: str, name: str) -> dict[str, int]:
    entity = await store.entities.by_name(bank, name)
    rows = await store.entities.related(bank, entity["id"], k=50)
    return {r["canonical_name"]: int(r["shared_units"]) for r in rows}


async def _flow(store: Store, bank: str) -> dict[str, Any]:
    """Retain, consolidate, recall, curate: returns what was written, checked on the way."""
    await store.banks.create(bank)
    units = _units()
    ids = [u.id for u in units]
    assert all(ids)
    links = [LinkIn(ids[0], ids[2], "semantic", 0.8), LinkIn(ids[1], ids[2], "entity", 1.0)]
    assert await store.memories.retain(bank, units, links) == ids

    # Co-occurrence as Python counts it from the facts.
    expected = _cooccurrences([names for _, _, names in FACTS])
    for name in ("alice", "bob", "lisbon", "porto", "acme"):
        assert await _related(store, bank, name) == dict(expected[name])

    # Consolidation: everything is pending, oldest first; one observation from two
    # sources, then a step that adds a third.
    oldest_first = [
        r["id"]
        for r in sorted(
            await store.memories.get(bank, ids), key=lambda r: (r["created_at"], r["id"])
        )
    ]
    pending = await store.consolidation.find_unconsolidated(bank)
    assert [r["id"] for r in pending] == oldest_first
    page = await store.consolidation.find_unconsolidated(bank, limit=2)
    rest = await store.consolidation.find_unconsolidated(bank, after=page[-1])
    assert [r["id"] for r in page + rest] == oldest_first
    obs_vec = near(embedding("fact0"), "obs")
    obs = await store.observations.create(
        bank, "Alice lives in Lisbon", obs_vec, [ids[0], ids[2]], tags=["chat"]
    )
    step = ObservationUpdate(
        "Alice lives in Lisbon and works with Bob",
        obs_vec,
        add_source_ids=[ids[1], ids[0]],  # ids[0] already a source
        occurred_start=T0 - timedelta(days=1),
        tags=["work"],
        reason="new fact",
    )
    updated = await store.observations.update(bank, obs, step)
    assert updated["text"] == step.text
    assert updated["proof_count"] == 3
    assert set(updated["tags"]) == {"chat", "work"}
    history = await store.observations.history(bank, obs)
    assert [(h["previous_text"], h["reason"]) for h in history] == [
        ("Alice lives in Lisbon", "new fact")
    ]
    assert [uuid.UUID(str(s)) for s in history[0]["sources_added"]] == [ids[1]]
    sources = await store.observations.sources_of(bank, [obs])
    assert set(sources[obs]) == {ids[0], ids[1], ids[2]}
    assert await store.consolidation.mark_consolidated(bank, ids[:3]) == 3
    assert await store.consolidation.count_unconsolidated(bank) == 1
    assert [r["id"] for r in await store.consolidation.find_unconsolidated(bank)] == [ids[3]]

    # Recall sees the observation and its sources.
    result = await store.recall.recall(bank, RecallQuery(obs_vec, text="Alice Lisbon"))
    found = set(result.unit_ids())
    assert obs in found and {ids[0], ids[2]} <= found
    fused = [f.id for f in result.fused]
    assert obs in fused and len(fused) == len(set(fused)) == len(found)
    # Filtered: only the observation carries "work"; "chat" without it is every source.
    work = RecallFilter(tags=["work"])
    result = await store.recall.recall(bank, RecallQuery(obs_vec, text="Alice", where=work))
    assert set(result.unit_ids()) == {f.id for f in result.fused} == {obs}
    chat_only = RecallFilter(tags=["chat"], exclude_tags=["work"])
    result = await store.recall.recall(bank, RecallQuery(obs_vec, text="Alice", where=chat_only))
    assert obs not in set(result.unit_ids()) and {ids[0], ids[2]} <= set(result.unit_ids())
    top = await store.recall.semantic(bank, obs_vec, fact_type="observation", k=5)
    assert [r["id"] for r in top] == [obs]

    # Curation: an invalidated unit is in no list or recall; restore brings it back with
    # its links.
    assert await store.memories.invalidate(bank, [ids[2]]) == 1
    assert ids[2] not in {r["id"] for r in await store.memories.list(bank, limit=100)}
    result = await store.recall.recall(bank, RecallQuery(embedding("fact2"), text="coffee"))
    assert ids[2] not in set(result.unit_ids())
    assert ids[2] not in {r["id"] for r in await store.recall.expand(bank, [ids[0]], k=10)}
    assert [r["id"] for r in await store.memories.list_invalidated(bank)] == [ids[2]]
    assert await store.memories.restore(bank, [ids[2]]) == 1
    assert ids[2] in {r["id"] for r in await store.memories.list(bank, limit=100)}
    out = await store.links.outgoing(bank, ids)
    assert sorted((r["from_unit_id"], r["to_unit_id"]) for r in out) == sorted(
        (link.from_id, link.to_id) for link in links
    )
    assert ids[2] in {r["id"] for r in await store.recall.expand(bank, [ids[0]], k=10)}
    return {"ids": ids, "obs": obs, "links": links}


async def _reingest(store: Store, bank: str, obs_of_chat: uuid.UUID) -> None:
    """A document's second version replaces its chunks and units; observations of the
    removed units go, entity counts and co-occurrences follow."""
    v1 = [
        MemoryIn("Carol founded Zeta", embedding("d1"), entities=["Carol", "Zeta"]),
        MemoryIn("Zeta hired Dave", embedding("d2"), entities=["Zeta", "Dave"]),
    ]
    first = await store.documents.reingest(
        bank, "doc", "v1", chunks=[ChunkIn("c1", "one"), ChunkIn("c2", "two")], units=v1
    )
    assert (first.status, first.version, len(first.unit_ids)) == ("created", 1, 2)
    doc_obs = await store.observations.create(bank, "Zeta grows", embedding("o"), first.unit_ids)
    assert await _related(store, bank, "zeta") == {"carol": 1, "dave": 1}

    v2 = [MemoryIn("Carol left Zeta for Dave's firm", embedding("d3"), entities=["Carol", "Dave"])]
    second = await store.documents.reingest(
        bank, "doc", "v2", chunks=[ChunkIn("c1", "one, edited"), ChunkIn("c3", "three")], units=v2
    )
    assert (second.status, second.version) == ("updated", 2)
    assert set(second.removed_unit_ids) == set(first.unit_ids)
    assert second.removed_observations == 1
    assert [(c["chunk_id"], c["text"]) for c in await store.documents.chunks(bank, "doc")] == [
        ("c1", "one, edited"),
        ("c3", "three"),
    ]
    assert await store.observations.find_by_sources(bank, first.unit_ids) == []
    assert [r["id"] for r in await store.memories.get(bank, [doc_obs])] == []
    assert [r["id"] for r in await store.memories.get(bank, [obs_of_chat])] == [obs_of_chat]
    with pytest.raises(MemrepoError):
        await store.entities.by_name(bank, "zeta")  # no unit mentions it any more
    assert await _related(store, bank, "carol") == {"dave": 1}
    assert await _related(store, bank, "dave") == {"carol": 1}
    for name in ("carol", "dave"):
        assert (await store.entities.by_name(bank, name))["mention_count"] == 1
    again = await store.documents.reingest(bank, "doc", "v2", units=v2)
    assert (again.status, again.version) == ("unchanged", 2)


async def _check_stats(store: Store, bank: str, flow: dict[str, Any]) -> None:
    units = await store.memories.list(bank, limit=1000)
    by_type = Counter(r["fact_type"] for r in units)
    names = {n.casefold() for _, _, ns in FACTS for n in ns} | {"carol", "dave"}
    stats = await store.banks.stats(bank)
    assert {k: v for k, v in stats.units.items() if v} == dict(by_type)
    assert stats.observations == by_type["observation"] == 1
    assert {k: v for k, v in stats.links.items() if v} == dict(
        Counter(link.link_type for link in flow["links"])
    )
    assert stats.entities == len(names)
    assert (stats.documents, stats.pending_operations, stats.failed_operations) == (1, 0, 0)


async def _whole_flow(store: Store, bank: str) -> dict[str, int]:
    flow = await _flow(store, bank)
    await _reingest(store, bank, flow["obs"])
    await _check_stats(store, bank, flow)
    return await bank_row_counts(store, bank)


async def test_engine_flow_from_conversation_to_deleted_bank(store: Store) -> None:
    bank, other = f"eng-{uuid.uuid4().hex[:8]}", f"eng-{uuid.uuid4().hex[:8]}"
    other_counts = await _whole_flow(store, other)
    counts = await _whole_flow(store, bank)
    assert counts == other_counts  # the same flow writes the same rows in every bank
    assert await store.banks.delete(bank)
    assert set((await bank_row_counts(store, bank)).values()) == {0}
    assert await bank_row_counts(store, other) == other_counts
    assert await _related(store, other, "alice") == dict(
        _cooccurrences([ns for _, _, ns in FACTS])["alice"]
    )


@pytest.fixture
async def two_tenants(provider: Provider) -> AsyncIterator[list[str]]:
    from repo.migrations import migrate

    names = [new_schema() for _ in range(2)]
    for name in names:
        await prepare_schema(provider.url, name)
        await migrate(provider.url, schema=name)
    yield names
    for name in names:
        await drop_schema(provider.url, name)


@pytest.mark.reliability
async def test_two_tenants_on_one_pool_never_cross(store: Store, two_tenants: list[str]) -> None:
    a, b = (store.tenant(s) for s in two_tenants)
    counts_a = await _whole_flow(a, "same")
    assert set((await bank_row_counts(b, "same")).values()) == {0}
    counts_b = await _whole_flow(b, "same")
    assert counts_a == counts_b
    ids_a = {r["id"] for r in await a.memories.list("same", limit=1000)}
    ids_b = {r["id"] for r in await b.memories.list("same", limit=1000)}
    assert ids_a and ids_b and not ids_a & ids_b
    # Another tenant's ids are unknown here: nothing to invalidate, read or expand.
    assert await b.memories.invalidate("same", sorted(ids_a)) == 0
    assert await b.memories.get("same", sorted(ids_a)) == []
    assert await a.banks.delete("same")
    assert set((await table_row_counts(a)).values()) == {0}
    assert await bank_row_counts(b, "same") == counts_b


@pytest.mark.reliability
async def test_flow_inside_a_host_transaction_rolled_back_leaves_nothing(
    provider: Provider, two_tenants: list[str]
) -> None:
    if provider.backend != "postgresql":
        pytest.skip("the host-transaction flow here drives an asyncpg connection")
    import asyncpg

    from repo.store import open_store

    host = await asyncpg.create_pool(provider.url, min_size=1, max_size=2)
    try:
        async with open_store(pool=host, schema=two_tenants[0]) as store:
            async with host.acquire() as conn:
                with pytest.raises(RuntimeError, match="host rolls back"):
                    async with conn.transaction(), store.using(conn):
                        counts = await _whole_flow(store, "hosted")
                        assert counts["memory_units"] > 0
                        raise RuntimeError("host rolls back")
            assert set((await table_row_counts(store)).values()) == {0}
    finally:
        await host.close()


# --------------------------------------------------------------------- hostile input

_NOT_IDS: list[Any] = [None, 5, 3.5, True, "x", b"ab", {"a": 1}, [None], [5], ["nope"]]
_NOT_ROWS: list[Any] = [5, "x", [], [None], {"a": 1}, (T0,), (T0, "nope"), ("x", uuid.uuid4())]
_NOT_TAGS: list[Any] = [5, 3.5, True, "x", b"ab", [None], [5], [""], ["t" * 300]]
_NOT_FACT_TYPES: list[Any] = [5, True, [], ["nope"], [None], {"world": 1}]


def _hostile_calls(store: Store, bank: str, unit_id: uuid.UUID, obs: uuid.UUID) -> list[Any]:
    """(label, value, call) for every bad value of every argument probed."""
    c, m, o, e = store.consolidation, store.memories, store.observations, store.entities
    since, until = T0, T0 + timedelta(days=2)

    def step(**kw: Any) -> ObservationUpdate:
        return ObservationUpdate("t", embedding("x"), **kw)

    calls: list[Any] = []
    for bad in _NOT_IDS:
        calls += [
            ("invalidate", bad, lambda v=bad: m.invalidate(bank, v)),
            ("restore", bad, lambda v=bad: m.restore(bank, v)),
            ("mark_consolidated", bad, lambda v=bad: c.mark_consolidated(bank, v)),
            ("mark_failed", bad, lambda v=bad: c.mark_failed(bank, v)),
            ("reset", bad, lambda v=bad: c.reset(bank, v)),
            ("seen", bad, lambda v=bad: e.seen(bank, v)),
            ("create.sources", bad, lambda v=bad: o.create(bank, "t", embedding("x"), v)),
            ("update.add_sources", bad, lambda v=bad: o.update(bank, obs, step(add_source_ids=v))),
            ("find_by_sources", bad, lambda v=bad: o.find_by_sources(bank, v)),
            ("sources_of", bad, lambda v=bad: o.sources_of(bank, v)),
            ("delete_stale", bad, lambda v=bad: o.delete_stale(bank, v)),
        ]
    for bad in [None, 5, 3.5, True, "x", b"ab", {"a": 1}, [None], [5]]:
        calls.append(("resolve", bad, lambda v=bad: e.resolve(bank, v)))
    for bad in _NOT_ROWS:
        calls += [
            ("find.after", bad, lambda v=bad: c.find_unconsolidated(bank, after=v)),
            ("list_invalidated.after", bad, lambda v=bad: m.list_invalidated(bank, after=v)),
            ("list.after", bad, lambda v=bad: m.list(bank, after=v)),
        ]
    for bad in _NOT_TAGS:
        calls += [
            ("find.tags", bad, lambda v=bad: c.find_unconsolidated(bank, tags=v)),
            (
                "create.tags",
                bad,
                lambda v=bad: o.create(bank, "t", embedding("x"), [unit_id], tags=v),
            ),
            ("update.tags", bad, lambda v=bad: o.update(bank, obs, step(tags=v))),
        ]
    for bad in _NOT_FACT_TYPES:
        calls += [
            ("find.fact_types", bad, lambda v=bad: c.find_unconsolidated(bank, fact_types=v)),
            ("count.fact_types", bad, lambda v=bad: c.count_unconsolidated(bank, fact_types=v)),
        ]
    for bad in [None, 5, [], {"a": 1}, "year", "DAY"]:
        calls.append(
            (
                "counts_over_time.bucket",
                bad,
                lambda v=bad: m.counts_over_time(bank, since, until, bucket=v),
            )
        )
    for bad in [None, 5, "x", {"text": "t"}, 0.5]:
        calls.append(("update.change", bad, lambda v=bad: o.update(bank, obs, v)))
    for bad in [None, 0, -1, True, 10**30, 2.0, "3"]:
        calls += [
            ("find.limit", bad, lambda v=bad: c.find_unconsolidated(bank, limit=v)),
            ("list_invalidated.limit", bad, lambda v=bad: m.list_invalidated(bank, limit=v)),
            ("related.k", bad, lambda v=bad: e.related(bank, unit_id, k=v)),
        ]
    for bad in [None, -0.1, 1.5, float("nan"), True, "0.5"]:
        calls.append(
            ("resolve.min_similarity", bad, lambda v=bad: e.resolve(bank, ["a"], min_similarity=v))
        )
    for bad in [5, "x", datetime(2026, 1, 1)]:
        calls += [
            (
                "update.occurred_start",
                bad,
                lambda v=bad: o.update(bank, obs, step(occurred_start=v)),
            ),
            ("counts_over_time.since", bad, lambda v=bad: m.counts_over_time(bank, v, until)),
        ]
    for bad in [None, 5, "", "x" * 300, "a\x00b"]:
        calls += [
            ("stats.bank", bad, lambda v=bad: store.banks.stats(v)),
            ("tags.bank", bad, lambda v=bad: m.tags(v)),
            ("delete_unsupported.bank", bad, lambda v=bad: o.delete_unsupported(v)),
        ]
        if bad is not None:
            calls.append(("update.reason", bad, lambda v=bad: o.update(bank, obs, step(reason=v))))
    calls += [
        ("invalidate.empty", [], lambda: m.invalidate(bank, [])),
        ("resolve.empty", [], lambda: e.resolve(bank, [])),
        ("resolve.blank", ["  "], lambda: e.resolve(bank, ["  "])),
        ("create.no_sources", [], lambda: o.create(bank, "t", embedding("x"), [])),
        ("update.unknown", "id", lambda: o.update(bank, uuid.uuid4(), step())),
        ("update.not_an_observation", "id", lambda: o.update(bank, unit_id, step())),
        ("update.embedding", "dim", lambda: o.update(bank, obs, ObservationUpdate("t", [0.1] * 3))),
        ("update.text", "", lambda: o.update(bank, obs, ObservationUpdate("", embedding("x")))),
        ("stats.unknown", "bank", lambda: store.banks.stats("no-such-bank")),
        ("tenant.reserved", "pg_catalog", lambda: store.tenant("pg_catalog")),
        ("tenant.type", 5, lambda: store.tenant(5)),  # type: ignore[arg-type]
    ]
    return calls


@pytest.mark.reliability
async def test_hostile_input_on_new_methods_is_a_typed_error_writing_nothing(
    store: Store, bank: str
) -> None:
    other = f"{bank}-other"
    await store.banks.create(other)
    (unit_id,) = await store.memories.retain(bank, [_units()[0]])
    (foreign,) = await store.memories.retain(other, [_units()[1]])
    obs = await store.observations.create(bank, "o", embedding("o"), [unit_id])
    before = (await bank_row_counts(store, bank), await bank_row_counts(store, other))
    escaped = []
    for label, value, call in _hostile_calls(store, bank, unit_id, obs):
        try:
            result = call()
            if hasattr(result, "__await__"):
                await result
        except MemrepoError:
            continue
        except Exception as exc:  # the finding is the untyped error
            escaped.append(f"{label}({value!r:.30}): {type(exc).__name__}: {exc}")
            continue
        escaped.append(f"{label}({value!r:.30}): accepted")
    assert escaped == []
    assert (await bank_row_counts(store, bank), await bank_row_counts(store, other)) == before

    # Another bank's ids are unknown here: nothing changes on either side.
    assert await store.memories.invalidate(bank, [foreign]) == 0
    assert await store.consolidation.mark_consolidated(bank, [foreign]) == 0
    with pytest.raises(MemrepoError):
        await store.observations.update(other, obs, ObservationUpdate("t", embedding("x")))
    # An observation never cites another bank's unit, nor an unknown one.
    for sources in ([foreign], [unit_id, foreign], [uuid.uuid4()]):
        with pytest.raises(NotFoundError):
            await store.observations.create(bank, "o", embedding("o"), sources)
        with pytest.raises(NotFoundError):
            await store.observations.update(
                bank, obs, ObservationUpdate("t", embedding("x"), add_source_ids=sources)
            )
    assert await store.observations.sources_of(bank, [obs]) == {obs: [unit_id]}
    assert await store.observations.history(other, obs) == []
    assert await store.observations.sources_of(other, [obs]) == {}
    assert (await bank_row_counts(store, bank), await bank_row_counts(store, other)) == before


@pytest.mark.reliability
async def test_huge_batches_are_refused_before_sql(store: Store, bank: str) -> None:
    many = [uuid.uuid4() for _ in range(100_001)]
    for call in (
        lambda: store.memories.invalidate(bank, many),
        lambda: store.consolidation.mark_consolidated(bank, many),
        lambda: store.entities.seen(bank, many),
        lambda: store.observations.find_by_sources(bank, many),
    ):
        with pytest.raises(ValidationError):
            await call()
    until = datetime(9999, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError):
        await store.memories.counts_over_time(bank, T0, until)
