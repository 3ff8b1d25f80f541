"""The typed errors memrepo raises. Catch `MemrepoError` to catch them all."""

from __future__ import annotations


class MemrepoError(Exception):
    """Base class of every error raised by memrepo."""


class ValidationError(MemrepoError, ValueError):
    """Bad input, detected before any SQL runs; nothing was written."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFoundError(MemrepoError, LookupError):
    """The bank, document, unit or operation does not exist."""


class ConflictError(MemrepoError):
    """A uniqueness or foreign-key constraint rejected the write (e.g. unknown bank)."""


class DeadlockError(ConflictError):
    """The database broke a deadlock or a serialization conflict by failing this call
    (PostgreSQL 40P01 / 40001, Oracle ORA-00060 / ORA-08177). Retryable: a call outside
    `store.transaction()` wrote nothing and can simply run again; inside one, let the error
    leave the `async with` block (which rolls the transaction back) and retry the whole
    transaction, since its earlier statements still hold the locks that deadlocked."""


class ConfigurationError(MemrepoError):
    """A URL, schema name or option is invalid."""


class DatabaseError(MemrepoError):
    """The database failed the operation; the transaction was rolled back."""


class ConnectionLostError(DatabaseError):
    """The connection broke mid-operation (server restart, terminated backend)."""


class DatabaseUnreachableError(ConnectionLostError):
    """No connection could be made (refused, no answer within the connect timeout,
    unknown host): `open_store`, `migrate` and a pool's new connections raise it."""


class StatementTimeoutError(DatabaseError):
    """The statement ran longer than the configured timeout and was cancelled."""


class StatementParameterError(MemrepoError, KeyError):
    """A compiled statement was called without one of its parameters (a programming error)."""
