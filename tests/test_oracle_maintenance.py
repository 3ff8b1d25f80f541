"""The Oracle vector index is built from data by an explicit call (no server: a fake driver).

IVF centroids come from the rows present when the index is built; migration 0001 builds it
on an empty table, and a REBUILD on an empty table fails (ORA-51875). So
`Store.maintain_vector_index()` does nothing without rows, rebuilds the index online with
rows, and creates it (0001's DDL) when it is missing.
"""

from __future__ import annotations

from typing import Any

import pytest

from repo.backends.oracle import OracleBackend
from repo.backends.oracle import maintenance as m
from repo.errors import ConfigurationError
from repo.store import Store
from tests.golden_tool import GOLDEN_DIR
from tests.test_oracle_backend import FakeConnection, FakeCursor, FakePool


class _Cursor(FakeCursor):
    async def execute(self, sql: str, params: Any = None, **kw: Any) -> None:
        self.conn.log.append(("execute", sql, params, kw, self.prefetchrows, self.arraysize))
        self.conn.timeouts.append(self.conn.call_timeout)  # type: ignore[attr-defined]
        if sql.startswith(("ALTER INDEX", "CREATE VECTOR INDEX", "BEGIN")):
            return
        self.description = [("N", None)]
        self._rows = [(self.conn.answers.pop(0),)]  # type: ignore[attr-defined]


class _Connection(FakeConnection):
    def __init__(self, *answers: int) -> None:
        super().__init__()
        self.answers = list(answers)
        self.call_timeout = 0
        self.timeouts: list[int] = []

    def cursor(self) -> _Cursor:
        return _Cursor(self)

    def ddl(self) -> list[str]:
        return [s for s in self.statements() if not s.startswith("SELECT")]


def _store(conn: _Connection) -> Store:
    return Store(OracleBackend(FakePool(conn), "public"), "oracle://u:p@h:1521/S")


async def _maintain(conn: _Connection) -> str:
    return await _store(conn).maintain_vector_index()


async def test_store_maintain_gathers_statistics_then_rebuilds_within_the_timeout() -> None:
    conn = _Connection(1200, 1)
    report = await _store(conn).maintain(tables=["memory_units", "banks"], reindex=True, timeout=5)
    gather = [
        "BEGIN DBMS_STATS.GATHER_TABLE_STATS(ownname => SYS_CONTEXT('USERENV',"
        f" 'CURRENT_SCHEMA'), tabname => '{t}', cascade => TRUE); END;"
        for t in ("MEMORY_UNITS", "BANKS")
    ]
    assert conn.ddl() == [*gather, "ALTER INDEX ixo_memory_units_embedding REBUILD ONLINE"]
    assert report.statements == (*gather, "maintain_vector_index: rebuilt")
    ddl_timeouts = [t for s, t in zip(conn.statements(), conn.timeouts, strict=True) if s[0] != "S"]
    assert ddl_timeouts == [5000, 5000, 5000] and conn.call_timeout == 0  # restored after


async def test_store_maintain_refuses_a_transaction() -> None:
    store = _store(_Connection())
    async with store.transaction():
        with pytest.raises(ConfigurationError):
            await store.maintain()


async def test_empty_table_is_left_alone() -> None:
    conn = _Connection(0)
    assert await _maintain(conn) == "empty"
    assert conn.ddl() == []  # no REBUILD on an empty table (ORA-51875)


async def test_rows_rebuild_the_index_online() -> None:
    conn = _Connection(1200, 1)
    assert await _maintain(conn) == "rebuilt"
    assert conn.ddl() == ["ALTER INDEX ixo_memory_units_embedding REBUILD ONLINE"]
    present = conn.statements()[1]
    assert "all_indexes" in present and "SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA')" in present


async def test_a_missing_index_is_created_as_the_migration_does() -> None:
    conn = _Connection(5, 0)
    assert await _maintain(conn) == "created"
    assert conn.ddl() == [m.CREATE_VECTOR_INDEX]
    upgrade = (GOLDEN_DIR / "oracle" / "migrations" / "upgrade.sql").read_text(encoding="utf-8")
    assert f"q'~{m.CREATE_VECTOR_INDEX}~'" in upgrade  # the same DDL as revision 0001


async def test_maintenance_on_every_backend(store: Store, backend_name: str) -> None:
    result = await store.maintain_vector_index()
    if backend_name == "postgresql":
        assert result == "not-needed"  # HNSW grows with the rows
    else:
        assert result in ("empty", "created", "rebuilt")
