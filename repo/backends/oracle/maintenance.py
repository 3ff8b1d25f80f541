"""The Oracle vector index's lifecycle: build it from data, by an explicit maintenance call.

An IVF ("neighbor partitions") index takes its centroids from the rows present when it is
built. Migration 0001 creates `ixo_memory_units_embedding` on the new, empty table, so its
centroids come from no data, and `ALTER INDEX ... REBUILD` on an empty table fails
(ORA-51875). `maintain_vector_index` is the documented step after the first load (and after
large loads later): with no rows it does nothing; with rows it rebuilds the index online, or
creates it (the DDL of migration 0001) if it is missing.

Recall needs no call to be correct: its semantic arm asks for `FETCH APPROX FIRST k` and,
when that returns fewer than k rows, searches exactly (`recall.semantic_exact`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

import sqlalchemy as sa

from repo.sql.cache import Statement
from schema.tables import memory_units

VectorIndexAction = Literal["not-needed", "empty", "created", "rebuilt"]

VECTOR_INDEX = "ixo_memory_units_embedding"
#: The index as migration 0001 creates it (tests/test_oracle_maintenance.py compares them).
CREATE_VECTOR_INDEX = (
    f"CREATE VECTOR INDEX {VECTOR_INDEX} ON memory_units (embedding) "
    "ORGANIZATION NEIGHBOR PARTITIONS DISTANCE COSINE WITH TARGET ACCURACY 95"
)
#: Global IVF reorganisation, online (Oracle AI Vector Search guide, "Rebuild IVF Indexes").
REBUILD_VECTOR_INDEX = f"ALTER INDEX {VECTOR_INDEX} REBUILD ONLINE"

_all_indexes = sa.table("all_indexes", sa.column("owner"), sa.column("index_name"))

UNIT_COUNT = Statement(
    "oracle.vector_index.units",
    sa.select(sa.func.count().label("n")).select_from(memory_units),
    only="oracle",
)
INDEX_PRESENT = Statement(
    "oracle.vector_index.present",
    sa.select(sa.func.count().label("n"))
    .select_from(_all_indexes)
    .where(
        _all_indexes.c.owner == sa.literal_column("SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA')"),
        _all_indexes.c.index_name == sa.bindparam("index_name", type_=sa.String()),
    ),
    only="oracle",
)


def gather_stats_sql(table: str) -> str:
    """Optimizer statistics of one table of the session's schema (`table`: a name of the
    store's metadata, never user input; Oracle's dictionary holds it upper-cased)."""
    if not table.isidentifier():
        raise ValueError(f"invalid table name {table!r}")
    return (
        "BEGIN DBMS_STATS.GATHER_TABLE_STATS("
        "ownname => SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA'), "
        f"tabname => '{table.upper()}', cascade => TRUE); END;"
    )


Fetchval = Callable[..., Awaitable[object]]
RunDDL = Callable[[str], Awaitable[None]]


async def maintain_vector_index(fetchval: Fetchval, run_ddl: RunDDL) -> VectorIndexAction:
    """Build the vector index from the rows present: nothing when there are none."""
    if not await fetchval(UNIT_COUNT):
        return "empty"
    if await fetchval(INDEX_PRESENT, {"index_name": VECTOR_INDEX.upper()}):
        await run_ddl(REBUILD_VECTOR_INDEX)
        return "rebuilt"
    await run_ddl(CREATE_VECTOR_INDEX)
    return "created"
