"""Recall: semantic top-k per fact type, full-text top-k, temporal range, graph expansion,
and one combined call that does them all in three round trips."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from repo.models import RecallFilter, RecallQuery
from repo.repositories.base import Repository
from repo.repositories.filters import bind_filter
from repo.repositories.fusion import FusedRow, check_weights, result_arms, rrf
from repo.repositories.visibility import UNIT_COLUMNS, visible
from repo.rows import Row
from repo.sql import Statement, StatementFamily, cosine_distance, in_uuids, text_match
from repo.sql.constructs import approx_limit, exact_cosine_distance
from repo.sql.filters import (
    EXAMPLE_SHAPES,
    NO_FILTER,
    FilterShape,
    filter_clauses,
    similarity_floor,
    text_score_floor,
)
from repo.validation import (
    check_count,
    check_datetime,
    check_embedding,
    check_fact_type,
    check_fact_types,
    check_id,
    check_limit,
    check_query,
    check_uuids,
)
from schema.tables import FACT_TYPES, entities, memory_links, memory_units, unit_entities

_u = memory_units.c
_BANK = sa.bindparam("bank_id", type_=_u.bank_id.type)


def _arm(name: str) -> sa.ColumnElement[str]:
    return sa.literal_column(f"'{name}'", sa.String()).label("arm")


def _shape(flags: dict[str, Any], where: FilterShape) -> dict[str, Any]:
    """Shape flags with the filter only when one is present (unfiltered names stay short)."""
    return {**flags, "where": where} if where != NO_FILTER else flags


def _floored(stmt: sa.Select[Any], floor: sa.BindParameter[Any] | None) -> sa.Select[Any]:
    """Keep the rows of a ranked top-k whose score reaches `floor`, best first.

    The floor applies after the ranking's LIMIT: the rows of a top-k that reach a floor
    are the top-k of the rows that reach it, and the vector index still stops at k.
    """
    if floor is None:
        return stmt
    ranked = stmt.subquery("ranked")
    return sa.select(ranked).where(ranked.c.score >= floor).order_by(ranked.c.score.desc())


def _semantic(fact_type: str, k_param: str = "k", where: FilterShape = NO_FILTER) -> sa.Select[Any]:
    """Nearest units of one fact type; the fact type is literal so each arm plans alone."""
    distance = cosine_distance(_u.embedding, "embedding")
    stmt = (
        sa.select(
            *UNIT_COLUMNS,
            _arm(f"semantic:{fact_type}"),
            (sa.literal_column("1.0") - distance).label("score"),
        )
        .where(_u.bank_id == _BANK, _u.fact_type == sa.literal_column(f"'{fact_type}'"), visible())
        .where(*filter_clauses(where, _u))
        .order_by(distance)
    )
    floor = similarity_floor() if where.min_similarity else None
    return _floored(approx_limit(stmt, k_param), floor)


def _fulltext(k_param: str = "k", where: FilterShape = NO_FILTER) -> sa.Select[Any]:
    match, score = text_match(_u.text, "query")
    stmt = (
        sa.select(*UNIT_COLUMNS, _arm("text"), score.label("score"))
        .where(_u.bank_id == _BANK, match, visible())
        .where(*filter_clauses(where, _u))
        .order_by(score.desc(), _u.id)
        .limit(sa.bindparam(k_param))
    )
    return _floored(stmt, text_score_floor() if where.min_text_score else None)


def _semantic_exact(fact_type: str, where: FilterShape = NO_FILTER) -> sa.Select[Any]:
    """The exact nearest units of one fact type: filter first, then sort every match.

    Used when the index path returned fewer than k rows (a selective filter can exhaust
    an HNSW scan, even an iterative one, before k matches are found). The filtered scan
    keeps only each match's id and distance (a distance no vector index can order by, so
    the scan is exact); the unit columns are read for the k nearest alone.
    """
    distance = exact_cosine_distance(_u.embedding, "embedding")
    nearest = (
        sa.select(_u.id, distance.label("distance"))
        .where(_u.bank_id == _BANK, _u.fact_type == sa.literal_column(f"'{fact_type}'"), visible())
        .where(*filter_clauses(where, _u))
        .order_by(distance)
        .limit(sa.bindparam("k"))
        .subquery("nearest")
    )
    stmt = (
        sa.select(
            *UNIT_COLUMNS,
            _arm(f"semantic:{fact_type}"),
            (sa.literal_column("1.0") - nearest.c.distance).label("score"),
        )
        .join_from(memory_units, nearest, nearest.c.id == _u.id)
        .where(_u.bank_id == _BANK)
        .order_by(nearest.c.distance)
    )
    return _floored(stmt, similarity_floor() if where.min_similarity else None)


def _temporal(where: FilterShape = NO_FILTER) -> sa.Select[Any]:
    return (
        sa.select(*UNIT_COLUMNS, _arm("temporal"))
        .where(
            _u.bank_id == _BANK,
            visible(),
            _u.event_date >= sa.bindparam("range_start", type_=_u.event_date.type),
            _u.event_date < sa.bindparam("range_end", type_=_u.event_date.type),
        )
        .where(*filter_clauses(where, _u))
        .order_by(_u.event_date.desc(), _u.id)
        .limit(sa.bindparam("k"))
    )


_PER_FACT_TYPE = [{"fact_type": ft} for ft in FACT_TYPES]
_EXAMPLES = [{"where": shape} for shape in EXAMPLE_SHAPES]
SEMANTIC = StatementFamily(
    "recall.semantic",
    _semantic,
    _PER_FACT_TYPE + [{"fact_type": "world", **ex} for ex in _EXAMPLES],
)
SEMANTIC_EXACT = StatementFamily(
    "recall.semantic_exact",
    _semantic_exact,
    _PER_FACT_TYPE + [{"fact_type": "world", **ex} for ex in _EXAMPLES],
)
FULLTEXT = Statement("recall.fulltext", _fulltext())
FULLTEXT_WHERE = StatementFamily(
    "recall.fulltext_where", lambda where: _fulltext(where=where), _EXAMPLES
)
TEMPORAL = Statement("recall.temporal", _temporal())
TEMPORAL_WHERE = StatementFamily("recall.temporal_where", _temporal, _EXAMPLES[:4])


def pick(plain: Statement, family: StatementFamily, where: FilterShape) -> Statement:
    """The unfiltered statement, or the family's shape for a present filter."""
    return plain if where == NO_FILTER else family.shape(where=where)


def _arms(
    fact_types: tuple[str, ...], text: bool, where: FilterShape = NO_FILTER
) -> sa.CompoundSelect[Any]:
    """Every semantic arm (one per fact type) and the text arm as one UNION ALL."""
    semantic, textual = where.for_semantic(), where.for_text()
    parts = [
        sa.select(_semantic(ft, "k_semantic", semantic).subquery(f"s_{ft}")) for ft in fact_types
    ]
    if text:
        parts.append(sa.select(_fulltext("k_text", textual).subquery("t")))
    return sa.union_all(*parts)


_FACT_TYPE_SUBSETS = [
    tuple(ft for i, ft in enumerate(FACT_TYPES) if mask >> i & 1)
    for mask in range(1, 2 ** len(FACT_TYPES))
]
ARMS = StatementFamily(
    "recall.arms",
    _arms,
    [{"fact_types": fts, "text": t} for fts in _FACT_TYPE_SUBSETS for t in (False, True)]
    + [{"fact_types": FACT_TYPES, "text": True, **ex} for ex in _EXAMPLES],
)


def _expand(where: FilterShape = NO_FILTER) -> sa.CompoundSelect[Any]:
    """Units one hop from the seeds: over links (by weight) and over shared entities.

    The filter applies to the reached units before each side keeps its best k.
    """
    ml = memory_links.c
    reached = memory_units.alias("reached")
    conditions = filter_clauses(where, reached.c)

    def _filtered(stmt: sa.Select[Any], unit_id: sa.ColumnElement[Any]) -> sa.Select[Any]:
        if not conditions:
            return stmt
        return stmt.join(reached, reached.c.id == unit_id).where(
            reached.c.bank_id == _BANK, *conditions
        )

    linked = (
        _filtered(
            sa.select(
                ml.to_unit_id.label("unit_id"), sa.func.max(ml.weight).label("score")
            ).select_from(memory_links),
            ml.to_unit_id,
        )
        .where(ml.bank_id == _BANK, in_uuids(ml.from_unit_id, "seeds"))
        .group_by(ml.to_unit_id)
        .order_by(sa.func.max(ml.weight).desc(), ml.to_unit_id)
        .limit(sa.bindparam("k"))
        .subquery("linked")
    )
    seed_mentions = unit_entities.alias("seed_mentions")
    other_mentions = unit_entities.alias("other_mentions")
    shared = (
        _filtered(
            sa.select(
                other_mentions.c.unit_id.label("unit_id"),
                sa.func.count().label("score"),
            ).select_from(
                seed_mentions.join(
                    other_mentions,
                    sa.and_(
                        other_mentions.c.bank_id == seed_mentions.c.bank_id,
                        other_mentions.c.entity_id == seed_mentions.c.entity_id,
                    ),
                )
            ),
            other_mentions.c.unit_id,
        )
        .where(
            seed_mentions.c.bank_id == _BANK,
            in_uuids(seed_mentions.c.unit_id, "seeds"),
            sa.not_(in_uuids(other_mentions.c.unit_id, "seeds")),
        )
        .group_by(other_mentions.c.unit_id)
        .order_by(sa.func.count().desc(), other_mentions.c.unit_id)
        .limit(sa.bindparam("k"))
        .subquery("shared")
    )
    by_link = (
        sa.select(*UNIT_COLUMNS, _arm("graph:link"), linked.c.score.label("score"))
        .join_from(memory_units, linked, linked.c.unit_id == _u.id)
        .where(_u.bank_id == _BANK, visible())
    )
    by_entity = (
        sa.select(
            *UNIT_COLUMNS, _arm("graph:entity"), sa.cast(shared.c.score, sa.Float).label("score")
        )
        .join_from(memory_units, shared, shared.c.unit_id == _u.id)
        .where(_u.bank_id == _BANK, visible())
    )
    return sa.union_all(by_link, by_entity)


EXPAND = Statement("recall.expand", _expand())
EXPAND_WHERE = StatementFamily("recall.expand_where", _expand, _EXAMPLES[:4])
UNIT_ENTITIES = Statement(
    "recall.unit_entities",
    sa.select(
        unit_entities.c.unit_id,
        entities.c.id.label("entity_id"),
        entities.c.name,
        entities.c.entity_type,
    )
    .join_from(
        unit_entities,
        entities,
        sa.and_(
            entities.c.bank_id == unit_entities.c.bank_id,
            entities.c.id == unit_entities.c.entity_id,
        ),
    )
    .where(unit_entities.c.bank_id == _BANK, in_uuids(unit_entities.c.unit_id, "ids")),
)


@dataclass(slots=True)
class RecallResult:
    """Candidates per arm, as native rows. Each row has the unit columns, `arm` and `score`."""

    semantic: dict[str, list[Row]] = field(default_factory=dict)
    text: list[Row] = field(default_factory=list)
    graph: list[Row] = field(default_factory=list)
    entities: list[Row] = field(default_factory=list)
    #: Every candidate once, by reciprocal-rank fusion of the arms (best first), with
    #: its rank and score in each arm that returned it.
    fused: list[FusedRow] = field(default_factory=list)

    def all_rows(self) -> list[Row]:
        rows = [r for arm in self.semantic.values() for r in arm]
        return rows + self.text + self.graph

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
    ) -> list[Row]:
        """The k nearest units of one fact type (cosine) that pass `where`, nearest first,
        with `score`.

        Returns k rows whenever k units match: if the vector index path returns fewer,
        the exact search runs.
        """
        shape, params = bind_filter(where)
        params |= {
            "bank_id": check_id("bank_id", bank_id),
            "embedding": check_embedding("embedding", embedding, self.dim),
            "k": check_limit("k", k),
        }
        fact_type = check_fact_type("fact_type", fact_type)
        flags = _shape({"fact_type": fact_type}, shape.for_semantic())
        rows = await self.db.fetch(SEMANTIC.shape(**flags), params)
        if len(rows) < k:
            rows = await self.db.fetch(SEMANTIC_EXACT.shape(**flags), params)
        return rows

    async def fulltext(
        self, bank_id: str, query: str, *, k: int = 20, where: RecallFilter | None = None
    ) -> list[Row]:
        """The k best full-text matches for any user text that pass `where`, best first,
        with `score`."""
        shape, params = bind_filter(where)
        params |= {
            "bank_id": check_id("bank_id", bank_id),
            "query": self.db.fulltext_query(check_query("query", query)),
            "k": check_limit("k", k),
        }
        return await self.db.fetch(pick(FULLTEXT, FULLTEXT_WHERE, shape.for_text()), params)

    async def temporal(
        self,
        bank_id: str,
        start: datetime,
        end: datetime,
        *,
        k: int = 100,
        where: RecallFilter | None = None,
    ) -> list[Row]:
        """Units whose event date is in [start, end) and that pass `where`, newest first."""
        shape, params = bind_filter(where)
        params |= {
            "bank_id": check_id("bank_id", bank_id),
            "range_start": check_datetime("start", start),
            "range_end": check_datetime("end", end),
            "k": check_limit("k", k),
        }
        return await self.db.fetch(pick(TEMPORAL, TEMPORAL_WHERE, shape.rows_only()), params)

    async def expand(
        self,
        bank_id: str,
        seeds: Sequence[uuid.UUID | str],
        *,
        k: int = 50,
        where: RecallFilter | None = None,
    ) -> list[Row]:
        """Units passing `where` one hop from `seeds` over links (score = weight) and shared
        entities (score = shared entity count); up to k of each."""
        shape, params = bind_filter(where)
        params |= {
            "bank_id": check_id("bank_id", bank_id),
            "seeds": check_uuids("seeds", seeds),
            "k": check_limit("k", k),
        }
        return await self.db.fetch(pick(EXPAND, EXPAND_WHERE, shape.rows_only()), params)

    async def entities_of(self, bank_id: str, ids: Sequence[uuid.UUID | str]) -> list[Row]:
        """(unit_id, entity_id, name, entity_type) for every entity the units mention."""
        params = {"bank_id": check_id("bank_id", bank_id), "ids": check_uuids("ids", ids)}
        return await self.db.fetch(UNIT_ENTITIES, params)

    async def recall(self, bank_id: str, query: RecallQuery) -> RecallResult:
        """Semantic arms + text arm (one round trip), graph expansion from the best seeds
        (one), entities of every candidate (one); every arm applies `query.where`; the
        arms fused by reciprocal rank (`RecallResult.fused`, no round trip)."""
        check_id("bank_id", bank_id)
        fact_types = check_fact_types("fact_types", query.fact_types)
        where, params = bind_filter(query.where, "where")
        params |= {
            "bank_id": bank_id,
            "embedding": check_embedding("embedding", query.embedding, self.dim),
            "k_semantic": check_limit("k_semantic", query.k_semantic),
        }
        has_text = query.text is not None
        if has_text:
            params["query"] = self.db.fulltext_query(check_query("text", query.text))
            params["k_text"] = check_limit("k_text", query.k_text)
        k_graph = check_limit("k_graph", query.k_graph)
        n_seeds = check_limit("seeds", query.seeds)
        weights = check_weights("weights", query.weights)
        rrf_k = check_count("rrf_k", query.rrf_k, maximum=100_000)

        async with self.db.one_connection():  # one pool acquisition for every read
            result = await run_recall(
                self.db.fetch,
                params,
                fact_types=fact_types,
                has_text=has_text,
                k_graph=k_graph,
                n_seeds=n_seeds,
                where=where,
            )
        result.fused = rrf(result_arms(result), weights, k=rrf_k)
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
) -> RecallResult:
    """The combined recall over validated `params` (bank_id, embedding, k_semantic, and
    query/k_text when `has_text`, the filter's `f_*` values for `where`): arms, exact
    searches for any arm that ran short, graph expansion from the best seeds, entities of
    every candidate."""
    bank_id, k_semantic = params["bank_id"], params["k_semantic"]
    filter_values = {k: v for k, v in params.items() if k.startswith("f_")}
    result = RecallResult(semantic={ft: [] for ft in fact_types})
    arms = ARMS.shape(**_shape({"fact_types": fact_types, "text": has_text}, where))
    for row in await fetch(arms, params):
        arm = row["arm"]
        if arm == "text":
            result.text.append(row)
        else:
            result.semantic[arm[9:]].append(row)
    for fact_type, rows in result.semantic.items():
        if len(rows) < k_semantic:  # the index path ran short: search exactly
            exact = {"bank_id": bank_id, "embedding": params["embedding"], "k": k_semantic}
            flags = _shape({"fact_type": fact_type}, where.for_semantic())
            result.semantic[fact_type] = await fetch(
                SEMANTIC_EXACT.shape(**flags), exact | filter_values
            )
    if where.min_similarity or where.min_text_score:  # floored arms: best first again
        for rows in (*result.semantic.values(), result.text):
            rows.sort(key=lambda r: -float(r["score"]))
    seeds = _best_seeds(result, n_seeds)
    if seeds:
        expand = {"bank_id": bank_id, "seeds": seeds, "k": k_graph} | filter_values
        result.graph = await fetch(pick(EXPAND, EXPAND_WHERE, where.rows_only()), expand)
    ids = result.unit_ids()
    if ids:
        result.entities = await fetch(UNIT_ENTITIES, {"bank_id": bank_id, "ids": ids})
    return result


def _best_seeds(result: RecallResult, n: int) -> list[uuid.UUID]:
    """Round-robin over the arms' rankings until n distinct units are chosen."""
    arms = [*result.semantic.values(), result.text]
    seeds: dict[uuid.UUID, None] = {}
    depth = 0
    while len(seeds) < n and any(depth < len(a) for a in arms):
        for arm in arms:
            if depth < len(arm) and len(seeds) < n:
                seeds[arm[depth]["id"]] = None
        depth += 1
    return list(seeds)
