"""The recall repository and the combined recall (`run_recall`): arms (each semantic arm
with its exact search inline, or a follow-up exact search for an arm that ran short where
the backend cannot inline it), expansion, entities, fusion; three round trips."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from repo.models import GraphQuery, RecallFilter, RecallQuery, TemporalQuery, VectorSearch
from repo.repositories.base import Repository
from repo.repositories.recall.arms import (
    ARMS,
    FULLTEXT,
    FULLTEXT_WHERE,
    SEMANTIC,
    SEMANTIC_EXACT,
    with_accuracy,
    with_fallback,
    with_where,
)
from repo.repositories.recall.expansion import UNIT_ENTITIES, bind_graph, expand_statement
from repo.repositories.recall.filters import bind_filter
from repo.repositories.recall.fusion import FusedRow, check_weights, result_arms, rrf
from repo.repositories.recall.mmr import UNIT_ENTITIES_EMBEDDINGS, check_lambda, mmr
from repo.repositories.recall.temporal import (
    ARMS_TEMPORAL,
    TEMPORAL,
    TEMPORAL_FIELDS,
    TemporalShape,
    bind_temporal,
    by_score,
)
from repo.rows import Row
from repo.sql import Statement
from repo.sql.filters import (
    NO_FILTER,
    FilterShape,
)
from repo.validation.batches import check_model
from repo.validation.embeddings import check_embedding
from repo.validation.scalars import (
    check_count,
    check_fact_type,
    check_fact_types,
    check_limit,
    check_uuids,
)
from repo.validation.text import check_id, check_query, check_text_mode
from repo.vector_search import pick_accuracy, target_accuracy, vector_search_settings
from schema.tables import FACT_TYPES


@dataclass(slots=True)
class RecallResult:
    """Candidates per arm, as native rows. Each row has the unit columns, `arm` and `score`."""

    semantic: dict[str, list[Row]] = field(default_factory=dict)
    text: list[Row] = field(default_factory=list)
    #: The temporal arm (`RecallQuery.temporal`): hits (arm `temporal`) then the units
    #: they reach over links (arm `temporal:spread`), each best first.
    temporal: list[Row] = field(default_factory=list)
    graph: list[Row] = field(default_factory=list)
    entities: list[Row] = field(default_factory=list)
    #: Every candidate once, by reciprocal-rank fusion of the arms (best first), with
    #: its rank and score in each arm that returned it.
    fused: list[FusedRow] = field(default_factory=list)
    #: Each candidate's embedding (id -> vector), fetched only for MMR
    #: (`RecallQuery.mmr_lambda`); the entity rows then carry `embedding` too.
    embeddings: dict[uuid.UUID, Any] = field(default_factory=dict)

    def all_rows(self) -> list[Row]:
        rows = [r for arm in self.semantic.values() for r in arm]
        return rows + self.text + self.temporal + self.graph

    def unit_ids(self) -> list[uuid.UUID]:
        return list(dict.fromkeys(r["id"] for r in self.all_rows()))


class RecallRepository(Repository):
    async def semantic(
        self,
        bank_id: str,
        embedding: Sequence[float],
        *,
        fact_type: str,
        k: int = 20,
        where: RecallFilter | None = None,
        vector_search: VectorSearch | None = None,
    ) -> list[Row]:
        """The k nearest units of one fact type (cosine) that pass `where`, nearest first,
        with `score`; `vector_search`: the index's knobs for this call, over the store's.

        Returns k rows whenever k units match: if the vector index path returns fewer,
        the exact search runs (in the same statement, with `inline_exact_fallback`).
        """
        knobs = vector_search_settings(vector_search)
        accuracy = self._accuracy(vector_search)
        shape, params = bind_filter(where)
        params |= {
            "bank_id": check_id("bank_id", bank_id),
            "embedding": check_embedding("embedding", embedding, self.dim),
            "k": check_limit("k", k),
        }
        fact_type = check_fact_type("fact_type", fact_type)
        flags = with_where({"fact_type": fact_type}, shape.for_semantic())
        inline = self._inline_exact
        stmt = SEMANTIC.shape(**with_fallback(with_accuracy(flags, accuracy), inline))
        async with self.db.vector_search(knobs):
            rows = await self.db.fetch(stmt, params)
            if len(rows) < k and not inline:
                rows = await self.db.fetch(SEMANTIC_EXACT.shape(**flags), params)
        return rows

    @property
    def _inline_exact(self) -> bool:
        return self.db.capabilities.inline_exact_fallback

    def _accuracy(self, knobs: VectorSearch | None) -> int | None:
        """Oracle's target accuracy for this search: the call's, else the store's."""
        return pick_accuracy(
            target_accuracy(knobs),
            self.db.target_accuracy,
            self.db.capabilities.target_accuracy_in_sql,
        )

    async def fulltext(
        self,
        bank_id: str,
        query: str,
        *,
        k: int = 20,
        where: RecallFilter | None = None,
        fact_types: Sequence[str] | None = None,
        mode: str = "all",
    ) -> list[Row]:
        """The k best full-text matches over text and context for any user text, of
        `fact_types` (None: all), that pass `where`, best first, with `score`. `mode`:
        `all` (every term; PostgreSQL's web-search syntax) or `any` (any word, ranked)."""
        shape, params = bind_filter(where)
        types = check_fact_types("fact_types", fact_types)
        text_mode = check_text_mode("mode", mode)
        params |= {
            "bank_id": check_id("bank_id", bank_id),
            "query": self.db.fulltext_query(check_query("query", query), text_mode),
            "k": check_limit("k", k),
        }
        flags = with_where({} if types == FACT_TYPES else {"fact_types": types}, shape.for_text())
        stmt = FULLTEXT_WHERE.shape(**flags) if flags else FULLTEXT
        return await self.db.fetch(stmt, params)

    async def temporal(
        self,
        bank_id: str,
        start: datetime,
        end: datetime,
        *,
        k: int = 100,
        where: RecallFilter | None = None,
        on: Sequence[str] = TEMPORAL_FIELDS,
        rank: str = "closeness",
        embedding: Sequence[float] | None = None,
        min_similarity: float | None = None,
        spread: int = 20,
        fact_types: Sequence[str] | None = None,
    ) -> list[Row]:
        """Units of `fact_types` (None: all) whose time (`on`: event date, occurred range,
        mention) overlaps [start, end) and that pass `where`, best first by `rank`
        (`closeness` to the window's middle, or `similarity` to `embedding`, at least
        `min_similarity` and `where.min_similarity`); then up to `spread` units one
        temporal or causal link from them (arm `temporal:spread`, score: the hit's score
        times the link weight), also of `fact_types` and passing `where`."""
        shape, params = bind_filter(where)
        types = check_fact_types("fact_types", fact_types)
        query = TemporalQuery(start, end, on=on, rank=rank, min_similarity=min_similarity,
                              k=k, spread=spread)  # fmt: skip
        temporal, values = bind_temporal("temporal", query, has_embedding=embedding is not None)
        params |= values | {"bank_id": check_id("bank_id", bank_id)}
        if temporal.rank == "similarity":
            params["embedding"] = check_embedding("embedding", embedding, self.dim)
        temporal = temporal.of_types(types)
        where_shape = shape.for_temporal(temporal.rank == "similarity")
        return await self.db.fetch(TEMPORAL.shape(**with_where({"shape": temporal}, where_shape)),
                                   params)  # fmt: skip

    async def expand(
        self,
        bank_id: str,
        seeds: Sequence[uuid.UUID | str],
        *,
        k: int = 50,
        where: RecallFilter | None = None,
        graph: GraphQuery | None = None,
        fact_types: Sequence[str] | None = None,
    ) -> list[Row]:
        """Units of `fact_types` (None: all) passing `where` one hop from `seeds`, up to k
        of each kind: over links in either direction (`graph:link`, score = link weight x
        its type's weight in `graph.link_weights`), over shared entities (`graph:entity`,
        score = shared entity count; each entity contributes at most
        `graph.entity_fanout` units), and observations citing seeds (`graph:observation`,
        score = seeds cited)."""
        shape, params = bind_filter(where)
        types = check_fact_types("fact_types", fact_types)
        observations, values = bind_graph("graph", graph)
        params |= values | {
            "bank_id": check_id("bank_id", bank_id),
            "seeds": check_uuids("seeds", seeds),
            "k": check_limit("k", k),
        }
        stmt = expand_statement(self._sources_table, observations, shape.rows_only(), types)
        return await self.db.fetch(stmt, params)

    @property
    def _sources_table(self) -> bool:
        return self.db.capabilities.uses_observation_sources_table

    async def entities_of(self, bank_id: str, ids: Sequence[uuid.UUID | str]) -> list[Row]:
        """(unit_id, entity_id, name, entity_type) for every entity the units mention."""
        params = {"bank_id": check_id("bank_id", bank_id), "ids": check_uuids("ids", ids)}
        return await self.db.fetch(UNIT_ENTITIES, params)

    async def recall(self, bank_id: str, query: RecallQuery) -> RecallResult:
        """Semantic arms + text arm + temporal arm (one round trip), graph expansion from
        the best seeds (one), entities of every candidate (one, with their embeddings for
        MMR); every arm applies `query.where`; the arms fused by reciprocal rank
        (`RecallResult.fused`), then diversified by MMR with `query.mmr_lambda` (no round
        trip)."""
        check_id("bank_id", bank_id)
        check_model("query", query, RecallQuery)
        fact_types = check_fact_types("fact_types", query.fact_types)
        where, params = bind_filter(query.where, "where")
        params |= {
            "bank_id": bank_id,
            "embedding": check_embedding("embedding", query.embedding, self.dim),
            "k_semantic": check_limit("k_semantic", query.k_semantic),
        }
        has_text = query.text is not None
        if has_text:
            text_mode = check_text_mode("text_mode", query.text_mode)
            params["query"] = self.db.fulltext_query(check_query("text", query.text), text_mode)
            params["k_text"] = check_limit("k_text", query.k_text)
        temporal = None
        if query.temporal is not None:
            temporal, values = bind_temporal("temporal", query.temporal, has_embedding=True)
            params |= values
        observations, graph = bind_graph("graph", query.graph)
        k_graph = check_limit("k_graph", query.k_graph)
        n_seeds = check_limit("seeds", query.seeds)
        weights = check_weights("weights", query.weights)
        rrf_k = check_count("rrf_k", query.rrf_k, maximum=100_000)
        lam = check_lambda("mmr_lambda", query.mmr_lambda)
        knobs = vector_search_settings(query.vector_search)
        accuracy = self._accuracy(query.vector_search)

        # One pool acquisition for every read (with knobs: one transaction that sets them).
        async with self.db.vector_search(knobs), self.db.one_connection():
            result = await run_recall(
                self.db.fetch,
                params,
                fact_types=fact_types,
                has_text=has_text,
                k_graph=k_graph,
                n_seeds=n_seeds,
                where=where,
                temporal=temporal,
                graph=graph,
                observations=observations,
                sources_table=self._sources_table,
                embeddings=lam is not None,
                accuracy=accuracy,
                inline_exact=self._inline_exact,
            )
        result.fused = rrf(result_arms(result), weights, k=rrf_k)
        if lam is not None:
            result.fused = mmr(result.fused, result.embeddings, lam)
        return result


#: `fetch(statement, params) -> rows`: a backend's verb, or any driver's equivalent.
Fetch = Callable[[Statement, Mapping[str, Any]], Awaitable[list[Any]]]


async def run_recall(
    fetch: Fetch,
    params: Mapping[str, Any],
    *,
    fact_types: tuple[str, ...],
    has_text: bool,
    k_graph: int,
    n_seeds: int,
    where: FilterShape = NO_FILTER,
    temporal: TemporalShape | None = None,
    graph: Mapping[str, Any] | None = None,
    observations: bool = True,
    sources_table: bool = False,
    embeddings: bool = False,
    accuracy: int | None = None,
    inline_exact: bool = True,
) -> RecallResult:
    """The combined recall over validated `params` (bank_id, embedding, k_semantic, and
    query/k_text when `has_text`, the filter's `f_*` values for `where`, the temporal
    arm's `t_*` values for `temporal`): arms (`inline_exact`, the backend's capability:
    each semantic arm with its exact search in the same statement; otherwise an exact
    search follows for each arm that ran short), graph expansion from the best seeds
    (`graph`: its bound `w_*`/`fanout` values, the defaults when None; `sources_table`:
    the backend's capability), entities of every candidate (and, with `embeddings`, every
    candidate's embedding)."""
    bank_id = params["bank_id"]
    filter_values = {k: v for k, v in params.items() if k.startswith("f_")}
    result = RecallResult(semantic={ft: [] for ft in fact_types})
    flags: dict[str, Any] = {"fact_types": fact_types, "text": has_text}
    if temporal is not None:
        flags["temporal"] = temporal
    flags = with_fallback(with_accuracy(with_where(flags, where), accuracy), inline_exact)
    arms = (ARMS if temporal is None else ARMS_TEMPORAL).shape(**flags)
    for row in await fetch(arms, params):
        arm = row["arm"]
        if arm == "text":
            result.text.append(row)
        elif arm.startswith("temporal"):
            result.temporal.append(row)
        else:
            result.semantic[arm[9:]].append(row)
    result.temporal.sort(key=by_score)
    if not inline_exact:
        await _search_short_arms(fetch, params, result, where, filter_values)
    if where.min_similarity or where.min_text_score:  # floored arms: best first again
        for rows in (*result.semantic.values(), result.text):
            rows.sort(key=lambda r: -float(r["score"]))
    seeds = _best_seeds(result, n_seeds)
    if seeds:
        expand = {"bank_id": bank_id, "seeds": seeds, "k": k_graph} | filter_values
        expand |= bind_graph("graph", None)[1] if graph is None else graph
        stmt = expand_statement(sources_table, observations, where.rows_only(), fact_types)
        result.graph = await fetch(stmt, expand)
    ids = result.unit_ids()
    if ids and embeddings:
        rows = await fetch(UNIT_ENTITIES_EMBEDDINGS, {"bank_id": bank_id, "ids": ids})
        result.entities = [r for r in rows if r["entity_id"] is not None]
        result.embeddings = {r["unit_id"]: r["embedding"] for r in rows}
    elif ids:
        result.entities = await fetch(UNIT_ENTITIES, {"bank_id": bank_id, "ids": ids})
    return result


async def _search_short_arms(
    fetch: Fetch,
    params: Mapping[str, Any],
    result: RecallResult,
    where: FilterShape,
    filter_values: Mapping[str, Any],
) -> None:
    """Without an inline fallback: one exact search per semantic arm whose index path
    returned fewer than k rows (each one more round trip)."""
    k = params["k_semantic"]
    exact = {"bank_id": params["bank_id"], "embedding": params["embedding"], "k": k}
    for fact_type, rows in result.semantic.items():
        if len(rows) < k:
            flags = with_where({"fact_type": fact_type}, where.for_semantic())
            stmt = SEMANTIC_EXACT.shape(**flags)
            result.semantic[fact_type] = await fetch(stmt, exact | dict(filter_values))


def _best_seeds(result: RecallResult, n: int) -> list[uuid.UUID]:
    """Round-robin over the arms' rankings (semantic, text, temporal hits) until n
    distinct units are chosen."""
    hits = [r for r in result.temporal if r["arm"] == "temporal"]
    arms = [*result.semantic.values(), result.text, hits]
    seeds: dict[uuid.UUID, None] = {}
    depth = 0
    while len(seeds) < n and any(depth < len(a) for a in arms):
        for arm in arms:
            if depth < len(arm) and len(seeds) < n:
                seeds[arm[depth]["id"]] = None
        depth += 1
    return list(seeds)
