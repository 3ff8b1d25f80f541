"""memrepo: one repository API for agent memory on PostgreSQL (pgvector) and Oracle 23ai."""

from repo.errors import (
    ConfigurationError,
    ConflictError,
    ConnectionLostError,
    DatabaseError,
    DatabaseUnreachableError,
    DeadlockError,
    MemrepoError,
    NotFoundError,
    StatementTimeoutError,
    ValidationError,
)
from repo.maintenance import MaintenanceReport
from repo.migrations import migrate, migrate_sync
from repo.models import (
    ChunkIn,
    EntityIn,
    GraphQuery,
    LinkIn,
    MemoryFilter,
    MemoryIn,
    MemoryUpdate,
    ObservationUpdate,
    OperationIn,
    RecallFilter,
    RecallQuery,
    TagGroup,
    TemporalQuery,
    TimeWindow,
    VectorSearch,
)
from repo.rows import MappingRow, Row
from repo.store import Store, open_store

__version__ = "0.1.0"

__all__ = [
    "ChunkIn",
    "ConfigurationError",
    "ConflictError",
    "ConnectionLostError",
    "DatabaseError",
    "DatabaseUnreachableError",
    "DeadlockError",
    "EntityIn",
    "GraphQuery",
    "LinkIn",
    "MaintenanceReport",
    "MappingRow",
    "MemoryFilter",
    "MemoryIn",
    "MemoryUpdate",
    "MemrepoError",
    "NotFoundError",
    "ObservationUpdate",
    "OperationIn",
    "RecallFilter",
    "RecallQuery",
    "Row",
    "StatementTimeoutError",
    "Store",
    "TagGroup",
    "TemporalQuery",
    "TimeWindow",
    "ValidationError",
    "VectorSearch",
    "__version__",
    "migrate",
    "migrate_sync",
    "open_store",
]
