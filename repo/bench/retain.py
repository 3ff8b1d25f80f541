"""The retain workload: bulk-load N units with embeddings, entities and links.

Three ways to write the same rows in one transaction, each starting from the same
`MemoryIn`/`LinkIn` objects (building driver rows from them is part of the timed work):

- `memrepo`: `store.memories.retain(bank, units, links)`, embeddings as `array('f')`;
- `memrepo_numpy`: the same with every embedding a numpy `float32` array (what embedding
  models return; listed as missing without numpy);
- `executemany`: the library's compiled INSERT/upsert statements through asyncpg
  `executemany` (units, entity upsert + id lookup, mentions, links);
- `copy`: asyncpg binary COPY for all four tables: the limit. COPY cannot upsert, so
  this variant assumes what the benchmark guarantees (an empty bank, new entities).

Each run loads into emptied tables (TRUNCATE between runs), first with the HNSW index
in place, then with it dropped (the "deferred index" load: build the index afterwards;
the build is timed once and reported apart). Variants alternate run by run. Every run
times its steps (memrepo's through a timing backend), so the report shows where the
time of each variant's best run goes.
"""

from __future__ import annotations

import contextlib
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

import asyncpg
import sqlalchemy as sa

from repo.backends.base import EMPTY
from repo.backends.postgres import DIALECT, PostgresBackend, init_connection
from repo.bench.bank import (
    BenchServer,
    build_index,
    drop_hnsw,
    hnsw_definitions,
    session_settings,
)
from repo.bench.data import BankSpec, SyntheticBank
from repo.bench.progress import Progress, optional_import
from repo.migrations import migrate
from repo.models import EntityIn, LinkIn, MemoryIn
from repo.repositories.memories import (
    ENTITY_COLUMNS,
    ENTITY_IDS,
    ENTITY_UPSERT,
    LINK_COLUMNS,
    LINK_INSERT,
    UNIT_INSERT,
    UNIT_INSERT_COLUMNS,
    canonical_entity_name,
)
from repo.rows import Row
from repo.sql import Statement
from repo.store import Store
from schema.tables import unit_entities

if TYPE_CHECKING:
    from repo.bench.bank import AnyConnection

RETAIN_VARIANTS = ("memrepo", "memrepo_numpy", "executemany", "copy")
RETAIN_BASELINE = "copy"
BANK_ID = "retain"
MENTION_INSERT = Statement(
    "bench.unit_entities.insert",
    sa.insert(unit_entities).values(
        {c: sa.bindparam(c) for c in ("unit_id", "entity_id", "bank_id")}
    ),
    register=False,
)
TABLES = ("memory_units", "entities", "unit_entities", "memory_links")


@dataclass
class RetainRun:
    items: int
    links: int
    #: Seconds per run, per mode ("hnsw", "deferred"), per variant.
    seconds: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    index_build_s: float | None = None
    #: Where each variant's best run spent its time: mode -> variant -> step -> seconds.
    breakdown: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)

    def rows_per_s(self, mode: str, variant: str) -> float | None:
        runs = self.seconds.get(mode, {}).get(variant)
        return self.items / min(runs) if runs else None


def _reorder(order: Sequence[str], columns: Sequence[str]) -> Callable[[tuple[Any, ...]], Any]:
    """Turn a tuple in `columns` order into the arguments of a statement with `order`."""
    idx = [list(columns).index(p) for p in order]
    if idx == list(range(len(columns))):
        return lambda t: t
    return lambda t: [t[i] for i in idx]


def _unit_tuple(bank_id: str, u: MemoryIn, now: datetime) -> tuple[Any, ...]:
    """A unit's row in `UNIT_INSERT_COLUMNS` order, without the library's validation."""
    return (
        u.id or uuid.uuid4(),
        bank_id,
        u.document_id,
        u.chunk_id,
        u.text,
        u.context,
        u.embedding,
        u.fact_type,
        u.event_date,
        u.occurred_start,
        u.occurred_end,
        u.mentioned_at,
        list(u.tags),
        u.metadata,
        u.proof_count,
        None,
        now,
        now,
    )


def _mentions(units: Sequence[MemoryIn]) -> tuple[dict[str, EntityIn], list[tuple[int, str]]]:
    """Distinct entities by canonical name, and (unit index, canonical name) mentions."""
    entities: dict[str, EntityIn] = {}
    mentions: list[tuple[int, str]] = []
    for i, u in enumerate(units):
        seen: set[str] = set()
        for e in u.entities:
            ent = e if isinstance(e, EntityIn) else EntityIn(e)
            canonical = canonical_entity_name(ent.name)
            if canonical in seen:
                continue
            seen.add(canonical)
            entities.setdefault(canonical, ent)
            mentions.append((i, canonical))
    return entities, mentions


def _counts(mentions: Sequence[tuple[int, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, name in mentions:
        counts[name] = counts.get(name, 0) + 1
    return counts


def _link_tuple(bank_id: str, link: LinkIn, now: datetime) -> tuple[Any, ...]:
    return (link.from_id, link.to_id, link.link_type, bank_id, link.weight, now)


class Steps:
    """Seconds spent per step of a load (`with steps("units"): ...`)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0


#: Step names: the table each step writes (or reads), whatever the method.
STEP_OF_TABLE = {"memory_units": "units", "unit_entities": "mentions", "memory_links": "links"}
STEP_OF_STATEMENT = {
    "entities.upsert": "entities",
    "entities.ids_by_name": "entity ids",
    "links.insert_if_absent": "links",
}
PYTHON_STEP = "python (validate, build rows)"


async def load_executemany(
    conn: AnyConnection,
    schema: str,
    units: Sequence[MemoryIn],
    links: Sequence[LinkIn],
    steps: Steps,
) -> None:
    now = datetime.now(UTC)
    unit_c = UNIT_INSERT.compiled(DIALECT)
    ent_c, ids_c = ENTITY_UPSERT.compiled(DIALECT), ENTITY_IDS.compiled(DIALECT)
    mention_c, link_c = MENTION_INSERT.compiled(DIALECT), LINK_INSERT.compiled(DIALECT)
    to_unit = _reorder(unit_c.params, UNIT_INSERT_COLUMNS)
    to_entity = _reorder(ent_c.params, ENTITY_COLUMNS)
    to_link = _reorder(link_c.params, LINK_COLUMNS)
    async with conn.transaction():
        records = [_unit_tuple(BANK_ID, u, now) for u in units]
        args = [to_unit(r) for r in records]
        with steps("units"):
            await conn.executemany(unit_c.sql, args)
        entities, mentions = _mentions(units)
        counts = _counts(mentions)
        names = sorted(entities)
        args = [
            to_entity((uuid.uuid4(), BANK_ID, entities[n].name, n, entities[n].entity_type,
                       None, counts[n], now, now))
            for n in names
        ]  # fmt: skip
        with steps("entities"):
            await conn.executemany(ent_c.sql, args)
        with steps("entity ids"):
            found = await conn.fetch(ids_c.sql, *ids_c.args({"bank_id": BANK_ID, "names": names}))
        id_of = {r["canonical_name"]: r["id"] for r in found}
        m = {"unit_id": 0, "entity_id": 1, "bank_id": 2}
        order = [m[p] for p in mention_c.params]
        args = [[(records[i][0], id_of[n], BANK_ID)[k] for k in order] for i, n in mentions]
        with steps("mentions"):
            await conn.executemany(mention_c.sql, args)
        args = [to_link(_link_tuple(BANK_ID, x, now)) for x in links]
        with steps("links"):
            await conn.executemany(link_c.sql, args)


async def load_copy(
    conn: AnyConnection,
    schema: str,
    units: Sequence[MemoryIn],
    links: Sequence[LinkIn],
    steps: Steps,
) -> None:
    now = datetime.now(UTC)

    async def copy(table: str, records: list[tuple[Any, ...]], columns: Sequence[str]) -> None:
        with steps(STEP_OF_TABLE.get(table, table)):
            await conn.copy_records_to_table(
                table, records=records, columns=list(columns), schema_name=schema
            )

    async with conn.transaction():
        records = [_unit_tuple(BANK_ID, u, now) for u in units]
        await copy("memory_units", records, UNIT_INSERT_COLUMNS)
        entities, mentions = _mentions(units)
        counts = _counts(mentions)
        id_of = {n: uuid.uuid4() for n in entities}
        rows: list[tuple[Any, ...]] = [
            (id_of[n], BANK_ID, e.name, n, e.entity_type, None, counts[n], now, now)
            for n, e in entities.items()
        ]
        await copy("entities", rows, ENTITY_COLUMNS)
        rows = [(records[i][0], id_of[n], BANK_ID) for i, n in mentions]
        await copy("unit_entities", rows, ["unit_id", "entity_id", "bank_id"])
        rows = [_link_tuple(BANK_ID, x, now) for x in links]
        await copy("memory_links", rows, LINK_COLUMNS)


class TimingBackend(PostgresBackend):
    """The PostgreSQL backend, timing each verb call by step (for the retain breakdown)."""

    steps: Steps

    async def bulk_insert(
        self, table: sa.Table, columns: Sequence[str], records: Sequence[Sequence[Any]]
    ) -> None:
        with self.steps(STEP_OF_TABLE.get(table.name, table.name)):
            await super().bulk_insert(table, columns, records)

    async def executemany(self, stmt: Statement, rows: Sequence[Mapping[str, Any]]) -> None:
        with self.steps(STEP_OF_STATEMENT.get(stmt.name, stmt.name)):
            await super().executemany(stmt, rows)

    async def fetch(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> list[Row]:
        with self.steps(STEP_OF_STATEMENT.get(stmt.name, stmt.name)):
            return await super().fetch(stmt, params)

    async def execute(self, stmt: Statement, params: Mapping[str, Any] = EMPTY) -> int:
        with self.steps(STEP_OF_STATEMENT.get(stmt.name, stmt.name)):
            return await super().execute(stmt, params)


Loader = Callable[[Steps], Awaitable[None]]


RETAIN_MODES = ("hnsw", "deferred")


async def run_retain(
    server: BenchServer,
    *,
    items: int,
    seed: int,
    reps: int,
    modes: Sequence[str] = RETAIN_MODES,
    progress: bool = True,
) -> RetainRun:
    """Time each retain variant `reps` times per index mode; see the module docstring."""
    schema = f"bench_retain_{uuid.uuid4().hex[:10]}"
    bank = SyntheticBank(BankSpec(items, seed=seed + 1))
    units = bank.units(0, items)
    links = bank.links(0, items)
    numpy, _ = optional_import("numpy")
    numpy_units = (
        None
        if numpy is None
        else [replace(u, embedding=numpy.array(u.embedding, dtype=numpy.float32)) for u in units]
    )
    run = RetainRun(items=items, links=len(links))
    await migrate(server.url, schema=schema)
    pool = await asyncpg.create_pool(
        server.dsn,
        min_size=1,
        max_size=2,
        init=init_connection,
        server_settings=session_settings(schema),
    )
    backend = cast(
        TimingBackend,
        await TimingBackend.connect(server.dsn, schema=schema, min_size=1, max_size=2),
    )
    backend.steps = Steps()
    store = Store(backend, server.url)
    try:
        await store.banks.create(BANK_ID)
        async with pool.acquire() as admin:
            definition = await hnsw_definitions(admin, schema)

            async def reset() -> None:
                await admin.execute(
                    "TRUNCATE " + ", ".join(f'"{schema}".{t}' for t in TABLES) + " CASCADE"
                )
                with contextlib.suppress(asyncpg.PostgresError):  # not a superuser (--url)
                    await admin.execute("CHECKPOINT")

            async def with_conn(fn: Any, steps: Steps) -> None:
                async with pool.acquire() as conn:
                    await fn(conn, schema, units, links, steps)

            async def with_store(steps: Steps, given: Sequence[MemoryIn] = units) -> None:
                backend.steps = steps
                await store.memories.retain(BANK_ID, given, links)

            loaders: dict[str, Loader] = {
                "memrepo": with_store,
                **(
                    {}
                    if numpy_units is None
                    else {"memrepo_numpy": lambda steps: with_store(steps, numpy_units)}
                ),
                "executemany": lambda steps: with_conn(load_executemany, steps),
                "copy": lambda steps: with_conn(load_copy, steps),
            }
            total = len(modes) * reps * len(loaders)
            with Progress(total, f"retain {items} units", enabled=progress) as bar:
                for mode in [m for m in RETAIN_MODES if m in modes]:
                    if mode == "deferred":
                        await drop_hnsw(admin, schema)
                    run.seconds[mode] = {name: [] for name in loaders}
                    run.breakdown[mode] = {}
                    for rep in range(reps):
                        names = list(loaders)
                        names = names[rep % len(names) :] + names[: rep % len(names)]
                        for name in names:
                            await reset()
                            steps = Steps()
                            t0 = time.perf_counter()
                            await loaders[name](steps)
                            seconds = time.perf_counter() - t0
                            if seconds <= min(run.seconds[mode][name], default=math.inf):
                                parts = dict(steps.seconds)
                                parts[PYTHON_STEP] = seconds - sum(parts.values())
                                parts["total"] = seconds
                                run.breakdown[mode][name] = parts
                            run.seconds[mode][name].append(seconds)
                            bar.update()
                    if mode == "deferred":
                        run.index_build_s = await build_index(admin, definition, items)
    finally:
        await store.close()
        await pool.close()
        conn = await asyncpg.connect(server.dsn)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()
    return run
