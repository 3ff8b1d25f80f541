"""Typed inputs of the repositories. Outputs are native rows (`repo.rows.Row`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class EntityIn:
    """An entity mentioned by a memory unit; matched per bank by case-folded name."""

    name: str
    entity_type: str | None = None


@dataclass(frozen=True, slots=True)
class MemoryIn:
    """One memory unit to retain. `id` is generated when omitted."""

    text: str
    embedding: Sequence[float]
    fact_type: str = "world"
    id: uuid.UUID | None = None
    context: str | None = None
    document_id: str | None = None
    chunk_id: str | None = None
    event_date: datetime | None = None
    occurred_start: datetime | None = None
    occurred_end: datetime | None = None
    mentioned_at: datetime | None = None
    tags: Sequence[str] = ()
    metadata: Mapping[str, Any] | None = None
    entities: Sequence[str | EntityIn] = ()
    proof_count: int = 1


@dataclass(frozen=True, slots=True)
class LinkIn:
    """A weighted, typed link between two memory units."""

    from_id: uuid.UUID
    to_id: uuid.UUID
    link_type: str
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class MemoryUpdate:
    """Fields to change on a memory unit; None leaves a field as it is."""

    text: str | None = None
    context: str | None = None
    embedding: Sequence[float] | None = None
    tags: Sequence[str] | None = None
    metadata: Mapping[str, Any] | None = None
    proof_count: int | None = None
    event_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class MemoryFilter:
    """Optional filters for listing memory units; each present filter is a statement shape."""

    fact_types: Sequence[str] | None = None
    tags: Sequence[str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    document_id: str | None = None
    #: Units whose text contains this, case-insensitively (`%` and `_` are literal).
    text_contains: str | None = None


@dataclass(frozen=True, slots=True)
class ObservationUpdate:
    """A consolidation step: new text and embedding, sources to add (deduplicated against
    the existing ones), time bounds to widen, tags to merge, and why (kept in history)."""

    text: str
    embedding: Sequence[float]
    add_source_ids: Sequence[uuid.UUID | str] = ()
    occurred_start: datetime | None = None
    occurred_end: datetime | None = None
    tags: Sequence[str] = ()
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ChunkIn:
    """A chunk of a document's content."""

    chunk_id: str
    text: str


@dataclass(frozen=True, slots=True)
class OperationIn:
    """A task to queue. `children` are queued with it, in the same transaction."""

    operation_type: str
    payload: Mapping[str, Any] | None = None
    max_attempts: int = 3
    children: Sequence[OperationIn] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class RecallQuery:
    """One combined recall: semantic arms per fact type, full text, graph expansion."""

    embedding: Sequence[float]
    text: str | None = None
    fact_types: Sequence[str] | None = None
    k_semantic: int = 60
    k_text: int = 60
    k_graph: int = 100
    seeds: int = 20
