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
    #: Any further condition, as in recall.
    where: RecallFilter | None = None


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
class TagGroup:
    """Units carrying any of `tags` (an OR-group); with `negate`, units carrying none."""

    tags: Sequence[str]
    negate: bool = False


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A half-open window `[start, end)`; either end may be open (None)."""

    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class RecallFilter:
    """Which units a read may return; one definition applied by every recall arm and by
    `memories.list`. Every field is optional; present fields are ANDed.

    - `tags` with `tags_match`: `any` (shares a tag), `all` (carries every tag) or
      `exact` (carries exactly these tags). `exclude_tags`: carries none of them.
      `tag_groups`: every group must hold (AND of OR-groups, a group may be negated).
    - `untagged` decides for units without tags, explicitly: `include` (they pass every
      tag condition) or `exclude` (they never pass; alone it keeps tagged units only).
    - time windows: `event_date`, `occurred` (the unit's `occurred_start..occurred_end`
      range overlaps the window; an open end is the start), `mentioned_at`,
      `created_at`, `updated_at`.
    - `document_ids`: the unit belongs to one of these documents.
    - `metadata`: the unit's metadata contains every key with exactly this scalar value.
    - score floors: `min_similarity` (the semantic arms, and the temporal arm when it ranks
      by similarity), `min_text_score` (the text arm); an arm whose score is no
      similarity (text, temporal by closeness, graph) or no text score is not floored.
    """

    tags: Sequence[str] | None = None
    tags_match: str = "any"
    exclude_tags: Sequence[str] | None = None
    tag_groups: Sequence[TagGroup] | None = None
    untagged: str = "include"
    event_date: TimeWindow | None = None
    occurred: TimeWindow | None = None
    mentioned_at: TimeWindow | None = None
    created_at: TimeWindow | None = None
    updated_at: TimeWindow | None = None
    document_ids: Sequence[str] | None = None
    metadata: Mapping[str, str | int | float | bool] | None = None
    min_similarity: float | None = None
    min_text_score: float | None = None


@dataclass(frozen=True, slots=True)
class VectorSearch:
    """The vector index's search knobs (PostgreSQL: pgvector's HNSW settings); None keeps
    the store's value. Set per store (`open_store(vector_search=...)`) or per recall
    (`RecallQuery.vector_search`). See docs/recall.md, "ANN quality"."""

    #: Candidates kept during an HNSW search (`hnsw.ef_search`, 1-1000; memrepo's default
    #: 200, pgvector's 40): recall up, speed down. At least the largest k you ask for.
    ef_search: int | None = None
    #: `hnsw.iterative_scan`: `strict_order` (memrepo's default: a filtered scan goes on
    #: until k rows pass, in exact distance order), `relaxed_order` or `off`.
    iterative_scan: str | None = None
    #: `hnsw.max_scan_tuples`: when an iterative scan gives up (pgvector's default 20,000);
    #: the exact search then fills in any missing rows.
    max_scan_tuples: int | None = None
    #: Oracle: `FETCH APPROX FIRST k ROWS ONLY WITH TARGET ACCURACY n` (1-100; without it
    #: the index's own, 95 for memrepo's). On PostgreSQL a `ConfigurationError`, as the
    #: three pgvector knobs are on Oracle.
    target_accuracy: int | None = None


@dataclass(frozen=True, slots=True)
class TemporalQuery:
    """The temporal arm: units whose time overlaps `[start, end)`, then one hop over
    temporal and causal links from them (docs/recall.md, "Temporal arm").

    - `on`: which times count: `event_date`, `occurred` (the `occurred_start..occurred_end`
      range overlaps the window), `mentioned_at`; a unit matches when any of them does.
    - `rank`: `closeness` (1 at the window's middle, 0 at its edges) or `similarity`
      (cosine similarity to the query embedding, kept when >= `min_similarity`).
    - `k`: most units in the window; `spread`: most units reached over links (0: none).
    """

    start: datetime
    end: datetime
    on: Sequence[str] = ("event_date", "occurred", "mentioned_at")
    rank: str = "closeness"
    min_similarity: float | None = None
    k: int = 100
    spread: int = 20


@dataclass(frozen=True, slots=True)
class GraphQuery:
    """How the graph arm walks from the seeds (docs/recall.md, "Graph arm").

    - `link_weights`: a weight per link type (`temporal`, `semantic`, `entity`, `causal`),
      multiplied into each link's own weight; 1.0 where not given, 0 skips the type.
    - `entity_fanout`: most units one shared entity may contribute (the best-ranked).
    - `observations`: also return the observations whose sources include a seed.
    """

    link_weights: Mapping[str, float] | None = None
    entity_fanout: int = 50
    observations: bool = True


@dataclass(frozen=True, slots=True)
class RecallQuery:
    """One combined recall: semantic arms per fact type, full text, the temporal arm, graph
    expansion; then fusion and, optionally, MMR."""

    embedding: Sequence[float]
    text: str | None = None
    #: The fact types of every arm (None: all): one semantic arm each, and the text,
    #: temporal and graph arms return units of these types only.
    fact_types: Sequence[str] | None = None
    k_semantic: int = 60
    k_text: int = 60
    k_graph: int = 100
    seeds: int = 20
    #: Applied by every arm (semantic, text, temporal, graph).
    where: RecallFilter | None = None
    #: The temporal arm over a time window (None: not run); ranks by the query embedding
    #: when `rank="similarity"`.
    temporal: TemporalQuery | None = None
    #: How the graph arm walks (link-type weights, entity fan-out cap, observations).
    graph: GraphQuery | None = None
    #: MMR diversification of `RecallResult.fused` (None: off): 1.0 keeps the fused order,
    #: lower values trade relevance for diversity (docs/recall.md, "MMR").
    mmr_lambda: float | None = None
    #: Reciprocal-rank fusion of the arms into `RecallResult.fused`: a weight per arm
    #: group (`semantic`, `text`, `temporal`, `graph`) or per arm (`semantic:world`, `graph:link`,
    #: ...), 1.0 where not given; `rrf_k` is the rank constant.
    weights: Mapping[str, float] | None = None
    rrf_k: int = 60
    #: The vector index's knobs for this recall only, over the store's (PostgreSQL: set
    #: transaction-locally around the recall: three round trips more).
    vector_search: VectorSearch | None = None
    #: The text arm's mode: `all` (every term; PostgreSQL's web-search syntax) or `any`
    #: (any word of the text, ranked by relevance: more words, closer, rank higher).
    text_mode: str = "all"
