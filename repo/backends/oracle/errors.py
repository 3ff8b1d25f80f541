"""python-oracledb errors and their memrepo error: ORA- and DPY- codes by kind, a
statement's error and a batch error translated, the codes the backend tests for."""

from __future__ import annotations

from typing import Any, NoReturn

import oracledb

from repo.errors import (
    ConflictError,
    ConnectionLostError,
    DatabaseError,
    DeadlockError,
    MemrepoError,
    StatementTimeoutError,
)

#: Oracle errors that are constraint violations (PostgreSQL's integrity errors map the same).
CONFLICT_CODES = frozenset(
    {
        1,  # ORA-00001 unique constraint violated
        1400,  # ORA-01400 cannot insert NULL
        2290,  # ORA-02290 check constraint violated
        2291,  # ORA-02291 integrity constraint violated - parent key not found
        2292,  # ORA-02292 integrity constraint violated - child record found
    }
)
#: ORA-00060 deadlock detected while waiting for resource, ORA-08177 can't serialize
#: access for this transaction: retryable (`DeadlockError`). ORA-00060 rolls back only the
#: statement; the backend then rolls back the call's transaction (or autocommit had none).
DEADLOCK_CODES = frozenset({60, 8177})
#: ORA-01013 user requested cancel of current operation (a call timeout's break).
TIMEOUT_CODES = frozenset({1013})
#: python-oracledb's own errors (DPY-nnnn).
TIMEOUT_DPY = frozenset({"DPY-4024"})  # call timeout exceeded
CONNECTION_DPY = frozenset(
    {
        "DPY-1001",  # not connected to database
        "DPY-4011",  # the database or network closed the connection
        "DPY-6005",  # cannot connect to database
    }
)


def error_class(
    full_code: str, code: int, message: str, *, session_dead: bool = False
) -> type[MemrepoError]:
    """The memrepo error type for a python-oracledb error (`_Error` attributes)."""
    if full_code in TIMEOUT_DPY or code in TIMEOUT_CODES:
        return StatementTimeoutError
    if session_dead or full_code in CONNECTION_DPY:
        return ConnectionLostError
    if code in DEADLOCK_CODES:
        return DeadlockError
    if code in CONFLICT_CODES:
        return ConflictError
    return DatabaseError


def describe_error(exc: BaseException) -> tuple[str, int, str, bool]:
    """(full_code, code, message, session_dead) of a python-oracledb exception."""
    err = exc.args[0] if exc.args else None
    full_code = str(getattr(err, "full_code", "") or "")
    code = int(getattr(err, "code", 0) or 0)
    message = str(getattr(err, "message", None) or exc)
    dead = bool(getattr(err, "is_session_dead", False))
    return full_code, code, message, dead


def is_unique_violation(exc: BaseException) -> bool:
    """ORA-00001 (what a MERGE raises when a concurrent session inserted the same key)."""
    return isinstance(exc, oracledb.Error) and describe_error(exc)[1] == 1


DRIVER_ERRORS = (oracledb.Error, OSError)
#: ORA-00942 (table or view does not exist), ORA-00904 (invalid identifier).
ORA_NO_SUCH_TABLE = 942
ORA_INVALID_IDENTIFIER = 904


def translate_error(exc: BaseException) -> NoReturn:
    """Raise the memrepo error for a driver error (the original is chained)."""
    if isinstance(exc, oracledb.Error):
        full_code, code, message, dead = describe_error(exc)
        raise error_class(full_code, code, message, session_dead=dead)(message) from exc
    if isinstance(exc, OSError):
        raise ConnectionLostError(str(exc)) from exc
    raise exc


def raise_batch_error(err: Any) -> NoReturn:
    """Raise the memrepo error for one `cursor.getbatcherrors()` entry."""
    message = str(getattr(err, "message", err))
    cls = error_class(str(getattr(err, "full_code", "")), int(getattr(err, "code", 0)), message)
    raise cls(message)
