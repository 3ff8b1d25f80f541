"""OracleBackend's driver calls, checked against a fake python-oracledb pool (no server):
binding, row building, autocommit/commit/rollback, savepoints, FOR UPDATE fetch sizes,
MERGE retries and session setup. What Oracle itself does is left to the integration
matrix (tests run against a real Oracle when MEMREPO_TEST_ORACLE_URL is set)."""

from __future__ import annotations

import uuid
from array import array
from collections.abc import Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import oracledb
import pytest
import sqlalchemy as sa
from oracledb import errors as ora_errors

import repo.store  # noqa: F401  (registers every statement)
from repo.backends.oracle import OracleBackend
from repo.backends.oracle import codecs as oracle_codecs
from repo.backends.oracle import driver as oracle_backend
from repo.errors import ConfigurationError, ConflictError, DatabaseError
from repo.repositories import banks, memories, operation_trees, operations, recall
from repo.rows import MappingRow
from schema.tables import chunks

U = uuid.UUID(int=7)


def _ora(message: str, code: int) -> oracledb.Error:
    err = ora_errors._Error(message, code=code)
    exc: oracledb.Error = err.exc_type(err)
    return exc


class _BatchError:
    def __init__(self, offset: int, code: int) -> None:
        self.offset = offset
        self.code = code
        self.full_code = f"ORA-{code:05d}"
        self.message = f"{self.full_code}: batch row {offset}"


class FakeCursor:
    def __init__(self, conn: FakeConnection) -> None:
        self.conn = conn
        self.prefetchrows = 2
        self.arraysize = 100
        self.rowfactory: Any = None
        self.rowcount = 0
        self.description: list[tuple[str, None]] = []
        self._rows: list[tuple[Any, ...]] = []
        self._batch_errors: list[_BatchError] = []

    def __enter__(self) -> FakeCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def setinputsizes(self, **sizes: Any) -> None:
        self.conn.log.append(("setinputsizes", sizes))

    async def execute(self, sql: str, params: Any = None, **kw: Any) -> None:
        self.conn.log.append(("execute", sql, params, kw, self.prefetchrows, self.arraysize))
        self.conn.autocommit_seen.append(self.conn.autocommit)
        failure = self.conn.failures.pop(0) if self.conn.failures else None
        if failure is not None:
            raise failure
        self.description = [(name.upper(), None) for name in self.conn.columns]
        self._rows = list(self.conn.result)
        self.rowcount = self.conn.rowcount

    async def executemany(self, sql: str, rows: list[dict[str, Any]], **kw: Any) -> None:
        self.conn.log.append(("executemany", sql, rows, kw))
        self._batch_errors = self.conn.batch_errors.pop(0) if self.conn.batch_errors else []

    def getbatcherrors(self) -> list[_BatchError]:
        return self._batch_errors

    async def fetchall(self) -> list[Any]:
        return [self.rowfactory(*r) for r in self._rows]

    async def fetchmany(self, n: int) -> list[Any]:
        return [self.rowfactory(*r) for r in self._rows[:n]]


class FakeConnection:
    def __init__(self) -> None:
        self.log: list[tuple[Any, ...]] = []
        self.autocommit = False
        self.autocommit_seen: list[bool] = []
        self.transaction_in_progress = False
        self.columns: tuple[str, ...] = ()
        self.result: list[tuple[Any, ...]] = []
        self.rowcount = 1
        self.failures: list[Exception | None] = []
        self.batch_errors: list[list[_BatchError]] = []

    def cursor(self) -> FakeCursor:
        return FakeCursor(self)

    async def commit(self) -> None:
        self.log.append(("commit",))

    async def rollback(self) -> None:
        self.log.append(("rollback",))

    def statements(self) -> list[str]:
        return [e[1] for e in self.log if e[0] in ("execute", "executemany")]

    def verbs(self) -> list[str]:
        return [e[0] if e[0] in ("commit", "rollback") else e[1].split()[0] for e in self.log
                if e[0] in ("commit", "rollback", "execute", "executemany")]  # fmt: skip


class FakePool:
    def __init__(self, conn: FakeConnection) -> None:
        self.conn = conn
        self.acquired = 0
        self.closed = False

    @asynccontextmanager
    async def _acquire(self) -> Any:
        self.acquired += 1
        yield self.conn

    def acquire(self) -> Any:
        return self._acquire()

    async def close(self, force: bool = False) -> None:
        self.closed = force


@pytest.fixture
def conn() -> FakeConnection:
    return FakeConnection()


@pytest.fixture
def backend(conn: FakeConnection) -> OracleBackend:
    return OracleBackend(FakePool(conn), "public")


async def test_fetch_binds_by_plan_and_builds_rows(
    backend: OracleBackend, conn: FakeConnection
) -> None:
    conn.columns = ("id", "text", "score")
    conn.result = [(U, "a", 0.9), (uuid.UUID(int=8), "b", 0.8)]
    stmt = recall.SEMANTIC.shape(fact_type="world")
    rows = await backend.fetch(stmt, {"bank_id": "b", "embedding": [0.5, 0.5], "k": 2})
    assert all(isinstance(r, MappingRow) for r in rows) and len(rows) == 2
    assert rows[0]["id"] == U and rows[1]["text"] == "b" and rows[0][2] == 0.9
    sizes = next(e[1] for e in conn.log if e[0] == "setinputsizes")
    assert sizes["embedding"] is oracledb.DB_TYPE_VECTOR
    _, sql, params, kw, *_ = next(e for e in conn.log if e[0] == "execute")
    assert "FETCH APPROX FIRST :k ROWS ONLY" in sql
    assert params["embedding"] == array("f", [0.5, 0.5]) and params["k"] == 2
    assert kw == {"fetch_lobs": False}
    assert await backend.fetchval(memories.COUNT, {"bank_id": "b"}) == U
    assert (await backend.fetchrow(memories.COUNT, {"bank_id": "b"}))["text"] == "a"  # type: ignore[index]


async def test_fetch_locked_fetches_exactly_limit_rows(
    backend: OracleBackend, conn: FakeConnection
) -> None:
    conn.columns = ("id",)
    conn.result = [(uuid.UUID(int=i),) for i in range(10)]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows = await backend.fetch_locked(operations.CLAIMABLE, {"now": now}, 3)
    assert len(rows) == 3
    _, sql, params, _, prefetch, arraysize = next(e for e in conn.log if e[0] == "execute")
    assert sql.rstrip().endswith("FOR UPDATE SKIP LOCKED") and "FETCH" not in sql
    assert params == {"now": datetime(2026, 1, 1)}
    assert prefetch == 3 and arraysize == 3


async def test_standalone_execute_uses_autocommit(
    backend: OracleBackend, conn: FakeConnection
) -> None:
    conn.rowcount = 4
    assert await backend.execute(banks.DELETE, {"bank_id": "b"}) == 4
    assert conn.autocommit_seen == [True]
    assert conn.autocommit is False
    assert "commit" not in conn.verbs()


async def test_standalone_read_releases_row_locks(
    backend: OracleBackend, conn: FakeConnection
) -> None:
    conn.transaction_in_progress = True  # e.g. SELECT ... FOR UPDATE outside a transaction
    await backend.fetch(banks.GET, {"bank_id": "b"})
    assert conn.verbs()[-1] == "rollback"


async def test_merge_is_retried_after_a_concurrent_insert(
    backend: OracleBackend, conn: FakeConnection
) -> None:
    conn.failures = [_ora("ORA-00001: unique constraint violated", 1), None]
    params = {"bank_id": "b", "name": "n", "metadata": None, "created_at": None, "updated_at": None}
    await backend.execute(banks.CREATE, params)
    assert [s.split()[0] for s in conn.statements()] == ["MERGE", "MERGE"]
    conn.log.clear()
    conn.failures = [_ora("ORA-00001: unique constraint violated", 1)] * 5
    with pytest.raises(ConflictError):
        await backend.execute(banks.CREATE, params)
    assert len(conn.statements()) == oracle_backend.MERGE_RETRIES + 1


async def test_plain_insert_is_not_retried(backend: OracleBackend, conn: FakeConnection) -> None:
    conn.failures = [_ora("ORA-00001: unique constraint violated", 1), None]
    with pytest.raises(ConflictError):
        await backend.execute(operation_trees.PRUNE, {"bank_id": "b", "before": datetime.now(UTC)})
    assert len(conn.statements()) == 1


async def test_executemany_merge_retries_only_failed_rows(
    backend: OracleBackend, conn: FakeConnection
) -> None:
    conn.batch_errors = [[_BatchError(1, 1)], []]
    rows = [
        {"from_unit_id": U, "to_unit_id": uuid.UUID(int=i), "link_type": "semantic",
         "bank_id": "b", "weight": 0.5, "created_at": datetime.now(UTC)}
        for i in range(3)
    ]  # fmt: skip
    await backend.executemany(memories.LINK_INSERT, rows)
    batches = [e for e in conn.log if e[0] == "executemany"]
    assert len(batches) == 2
    assert batches[0][3]["batcherrors"] is True and len(batches[0][2]) == 3
    assert batches[1][2] == [batches[0][2][1]]
    assert batches[0][2][0]["from_unit_id"] == U.bytes
    assert conn.verbs()[-1] == "commit"


async def test_executemany_other_batch_error_rolls_back(
    backend: OracleBackend, conn: FakeConnection
) -> None:
    conn.batch_errors = [[_BatchError(0, 2291)]]
    rows = [
        {"from_unit_id": U, "to_unit_id": U, "link_type": "semantic", "bank_id": "nope",
         "weight": 0.5, "created_at": datetime.now(UTC)}
    ]  # fmt: skip
    with pytest.raises(ConflictError):
        await backend.executemany(memories.LINK_INSERT, rows)
    assert conn.verbs()[-1] == "rollback"


async def test_bulk_insert_is_one_cached_executemany(
    backend: OracleBackend, conn: FakeConnection
) -> None:
    cols = ["bank_id", "chunk_id", "document_id", "chunk_index", "text"]
    await backend.bulk_insert(chunks, cols, [("b", "c1", "d", 0, "t"), ("b", "c2", "d", 1, "u")])
    await backend.bulk_insert(chunks, cols, [("b", "c3", "d", 2, "v")])
    batches = [e for e in conn.log if e[0] == "executemany"]
    assert batches[0][1].startswith("INSERT INTO chunks (bank_id, chunk_id, document_id,")
    assert batches[0][1] is batches[1][1]  # compiled once
    assert batches[0][2][1] == {
        "bank_id": "b", "chunk_id": "c2", "document_id": "d", "chunk_index": 1, "text": "u"
    }  # fmt: skip
    assert batches[0][3]["batcherrors"] is False
    assert len(backend._inserts) == 1


async def test_transaction_commits_and_nested_uses_savepoints(
    backend: OracleBackend, conn: FakeConnection
) -> None:
    pool = backend.pool
    async with backend.transaction():
        await backend.execute(banks.DELETE, {"bank_id": "a"})
        with pytest.raises(RuntimeError):
            async with backend.transaction():
                await backend.execute(banks.DELETE, {"bank_id": "b"})
                raise RuntimeError("boom")
        async with backend.transaction():
            await backend.execute(banks.DELETE, {"bank_id": "c"})
    assert pool.acquired == 1
    assert conn.verbs() == [
        "DELETE", "SAVEPOINT", "DELETE", "ROLLBACK", "SAVEPOINT", "DELETE", "commit"
    ]  # fmt: skip
    assert "ROLLBACK TO SAVEPOINT memrepo_sp1" in conn.statements()
    assert conn.autocommit_seen == [False] * 6


async def test_transaction_rolls_back_on_error(
    backend: OracleBackend, conn: FakeConnection
) -> None:
    with pytest.raises(ValueError):
        async with backend.transaction():
            await backend.execute(banks.DELETE, {"bank_id": "a"})
            raise ValueError
    assert conn.verbs() == ["DELETE", "rollback"]


async def test_driver_errors_are_translated(backend: OracleBackend, conn: FakeConnection) -> None:
    conn.failures = [_ora("ORA-00942: table or view does not exist", 942)]
    with pytest.raises(DatabaseError) as info:
        await backend.fetch(banks.GET, {"bank_id": "b"})
    assert isinstance(info.value.__cause__, oracledb.Error)


def test_fulltext_query_is_oracle_text() -> None:
    backend = OracleBackend(FakePool(FakeConnection()), "public")
    assert backend.fulltext_query("cats & dogs") == "{cats} AND {dogs}"
    assert backend.fulltext_query("cats & dogs", "any") == "{cats} ACCUM {dogs}"
    assert backend.capabilities.uses_observation_sources_table
    assert not backend.capabilities.has_copy
    assert backend.dialect.name == "oracle" and backend.name == "oracle"


@pytest.fixture
def fake_create_pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    seen: dict[str, Any] = {}
    conn = FakeConnection()

    def create_pool_async(**kw: Any) -> FakePool:
        seen.update(kw)
        seen["conn"] = conn
        return FakePool(conn)

    monkeypatch.setattr(oracledb, "create_pool_async", create_pool_async)
    yield seen


async def test_connect_configures_the_pool_and_sessions(fake_create_pool: dict[str, Any]) -> None:
    backend = await OracleBackend.connect(
        "oracle://app:pw@db:1521/FREEPDB1", schema="t_abc", max_size=4, statement_timeout_ms=250
    )
    kw = fake_create_pool
    assert (kw["user"], kw["password"], kw["host"], kw["port"], kw["service_name"]) == (
        "app", "pw", "db", 1521, "FREEPDB1",
    )  # fmt: skip
    assert kw["max"] == 4 and kw["min"] == 1
    assert backend.pool.acquired == 1  # connectivity checked at connect time
    conn = kw["conn"]
    await kw["session_callback"](conn, None)
    assert conn.inputtypehandler is oracle_codecs.input_type_handler
    assert conn.outputtypehandler is oracle_codecs.output_type_handler
    assert conn.call_timeout == 250
    (setup,) = conn.statements()
    assert 'CURRENT_SCHEMA = "T_ABC"' in setup and "TIME_ZONE" in setup
    await backend.close()
    assert backend.pool.closed


async def test_connect_rejects_bad_schema_names() -> None:
    from repo.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        await OracleBackend.connect("oracle://a:b@h:1521/S", schema='x"; drop user sys')


def test_bulk_insert_statement_types_come_from_the_table() -> None:
    backend = OracleBackend(FakePool(FakeConnection()), "public")
    stmt = backend._insert_statement(chunks, ("bank_id", "chunk_id", "chunk_index"))
    compiled = stmt.compiled(oracle_backend.DIALECT)
    assert isinstance(compiled.types[2], sa.Integer)


async def test_connect_failure_closes_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    pools: list[FakePool] = []

    class Refusing(FakePool):
        @asynccontextmanager
        async def _acquire(self) -> Any:
            raise _ora("ORA-01017: invalid credential or not authorized; logon denied", 1017)
            yield self.conn

    def create_pool_async(**kw: Any) -> FakePool:
        pools.append(Refusing(FakeConnection()))
        return pools[-1]

    monkeypatch.setattr(oracledb, "create_pool_async", create_pool_async)
    with pytest.raises(ConfigurationError, match="authentication failed") as info:
        await OracleBackend.connect("oracle://a:b@h:1521/S")
    assert "ORA-01017" in str(info.value.__cause__)
    assert pools[0].closed
