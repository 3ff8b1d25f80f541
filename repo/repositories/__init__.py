"""One repository per aggregate; each method is one compiled statement or one transaction."""

from repo.repositories.banks import BankRepository
from repo.repositories.consolidation import ConsolidationRepository
from repo.repositories.documents import DocumentRepository, IngestResult
from repo.repositories.entities import EntityRepository
from repo.repositories.links import LinkRepository
from repo.repositories.memories import MemoryRepository
from repo.repositories.observations import ObservationRepository
from repo.repositories.operations import OperationRepository
from repo.repositories.recall import RecallRepository, RecallResult

__all__ = [
    "BankRepository",
    "ConsolidationRepository",
    "DocumentRepository",
    "EntityRepository",
    "IngestResult",
    "LinkRepository",
    "MemoryRepository",
    "ObservationRepository",
    "OperationRepository",
    "RecallRepository",
    "RecallResult",
]
