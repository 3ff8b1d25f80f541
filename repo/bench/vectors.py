"""The vector workload: three semantic searches of k rows, one per fact type, the way a
user who needs only vectors would run them.

- `memrepo`: `store.recall.semantic(bank, embedding, fact_type=..., k=k)` three times;
- `raw_asyncpg`: the same compiled SQL on a bare asyncpg pool (one pool call each);
- `langchain_pgvector`: langchain-postgres's `PGVectorStore` on the same server and the
  same units (copied once into its own table, `lc_units`, with its own HNSW index of the
  same parameters), `asimilarity_search_with_score_by_vector(embedding, k=k,
  filter={"fact_type": ...})` three times. Its sessions get the same settings as the
  other variants (`hnsw.iterative_scan = strict_order`), which is what makes a filtered
  search return k rows (without it an HNSW scan stops at `hnsw.ef_search` candidates
  before the filter).

Every variant reads every field of every returned row, and reports recall@k.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from repo.bench.bank import session_settings
from repo.bench.data import Query
from repo.bench.variant_api import (
    CANDIDATE_COLUMNS,
    RawPoolVariant,
    RecallVariant,
    StoreVariant,
    Target,
    read_all,
)
from repo.repositories.recall import SEMANTIC
from repo.urls import sqlalchemy_url
from schema.tables import FACT_TYPES, HNSW_BUILD

LANGCHAIN_TABLE = "lc_units"
#: What `PGVectorStore` returns per row: the document's content, its metadata (the
#: fact type column and the JSON metadata) and id, and the distance.
LANGCHAIN_FIELDS = 4


class MemrepoVectors(StoreVariant, RecallVariant):
    name = "memrepo"
    description = "store.recall.semantic() once per fact type"

    async def _rows(self, q: Query) -> dict[str, list[Any]]:
        assert self.store is not None
        k = self.target.shape.k_semantic
        semantic, bank = self.store.recall.semantic, self.target.bank_id
        return {ft: await semantic(bank, q.embedding, fact_type=ft, k=k) for ft in FACT_TYPES}

    async def recall(self, q: Query) -> int:
        return sum(read_all(rows, CANDIDATE_COLUMNS) for rows in (await self._rows(q)).values())

    async def semantic_ids(self, q: Query) -> dict[str, list[Any]]:
        return {ft: [r["id"] for r in rows] for ft, rows in (await self._rows(q)).items()}


class RawVectors(RawPoolVariant, RecallVariant):
    name = "raw_asyncpg"
    description = "the same SQL on a bare asyncpg pool, one pool call per search"

    async def _rows(self, q: Query) -> dict[str, list[Any]]:
        params = {
            "bank_id": self.target.bank_id,
            "embedding": q.embedding,
            "k": self.target.shape.k_semantic,
        }
        out = {}
        for ft in FACT_TYPES:
            out[ft] = await self.fetch(SEMANTIC.shape(fact_type=ft), params)
        return out

    async def recall(self, q: Query) -> int:
        return sum(read_all(rows, CANDIDATE_COLUMNS) for rows in (await self._rows(q)).values())

    async def semantic_ids(self, q: Query) -> dict[str, list[Any]]:
        return {ft: [r["id"] for r in rows] for ft, rows in (await self._rows(q)).items()}


class _NoEmbeddings:
    """`PGVectorStore` wants an embedding service; searches by vector never call it."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise NotImplementedError

    def embed_query(self, text: str) -> list[float]:
        raise NotImplementedError

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        raise NotImplementedError

    async def aembed_query(self, text: str) -> list[float]:
        raise NotImplementedError


async def ensure_langchain_table(target: Target, engine: Any, column: Any) -> None:
    """The bank's units in `PGVectorStore`'s own table, with an HNSW index like memrepo's;
    created once per bank schema and reused while its row count matches."""
    conn = await asyncpg.connect(target.dsn)
    try:
        schema = target.schema
        exists = await conn.fetchval(
            "SELECT to_regclass(quote_ident($1) || '.' || quote_ident($2)) IS NOT NULL",
            schema,
            LANGCHAIN_TABLE,
        )
        units = await conn.fetchval(
            f'SELECT count(*) FROM "{schema}".memory_units WHERE bank_id = $1', target.bank_id
        )
        if exists:
            have = await conn.fetchval(f'SELECT count(*) FROM "{schema}".{LANGCHAIN_TABLE}')
            if have == units:
                return
            await conn.execute(f'DROP TABLE "{schema}".{LANGCHAIN_TABLE}')
        await engine.ainit_vectorstore_table(
            LANGCHAIN_TABLE,
            384,
            schema_name=schema,
            metadata_columns=[column("fact_type", "TEXT", nullable=False)],
        )
        await conn.execute(
            f'INSERT INTO "{schema}".{LANGCHAIN_TABLE} '
            "(langchain_id, content, embedding, fact_type, langchain_metadata) "
            "SELECT id, text, embedding, fact_type, metadata::json "
            f'FROM "{schema}".memory_units WHERE bank_id = $1',
            target.bank_id,
        )
        # The same build options as memrepo's indexes (schema/tables.py).
        build = ", ".join(f"{key} = {value}" for key, value in HNSW_BUILD.items())
        await conn.execute("SET maintenance_work_mem = '512MB'")
        await conn.execute(
            f'CREATE INDEX lc_units_embedding_hnsw ON "{schema}".{LANGCHAIN_TABLE} '
            f"USING hnsw (embedding vector_cosine_ops) WITH ({build})"
        )
        await conn.execute(f'VACUUM (ANALYZE) "{schema}".{LANGCHAIN_TABLE}')
    finally:
        await conn.close()


class LangchainVectors(RecallVariant):
    name = "langchain_pgvector"
    description = "langchain-postgres PGVectorStore, one similarity search per fact type"
    requires = ("langchain_postgres",)

    def __init__(self) -> None:
        self.engine: Any = None
        self.store: Any = None

    async def open(self, target: Target) -> None:
        from sqlalchemy.ext.asyncio import create_async_engine

        v2 = importlib.import_module("langchain_postgres")
        self.target = target
        sa_engine = create_async_engine(
            sqlalchemy_url(target.url),
            pool_size=target.pool_size,
            max_overflow=0,
            connect_args={"server_settings": session_settings(target.schema)},
        )
        self.engine = v2.PGEngine.from_engine(sa_engine)
        await ensure_langchain_table(target, self.engine, v2.Column)
        self.store = await v2.PGVectorStore.create(
            self.engine,
            embedding_service=_NoEmbeddings(),
            table_name=LANGCHAIN_TABLE,
            schema_name=target.schema,
            metadata_columns=["fact_type"],
            k=target.shape.k_semantic,
        )
        conns = [await sa_engine.connect() for _ in range(target.pool_size)]
        for c in conns:
            await c.close()

    async def _docs(self, q: Query) -> dict[str, list[Any]]:
        k = self.target.shape.k_semantic
        return {
            ft: await self.store.asimilarity_search_with_score_by_vector(
                q.embedding, k=k, filter={"fact_type": ft}
            )
            for ft in FACT_TYPES
        }

    async def recall(self, q: Query) -> int:
        reads = 0
        for docs in (await self._docs(q)).values():
            for doc, score in docs:
                _ = (doc.page_content, doc.metadata, doc.id, score)
                reads += LANGCHAIN_FIELDS
        return reads

    async def semantic_ids(self, q: Query) -> dict[str, list[Any]]:
        return {ft: [d.id for d, _ in docs] for ft, docs in (await self._docs(q)).items()}

    async def close(self) -> None:
        if self.engine is not None:
            await self.engine.close()


VECTOR_VARIANTS: tuple[type[RecallVariant], ...] = (MemrepoVectors, RawVectors, LangchainVectors)
VECTOR_VARIANT_NAMES = tuple(v.name for v in VECTOR_VARIANTS)
VECTOR_BASELINE = "raw_asyncpg"


def rows_returned(ids: Mapping[str, Sequence[Any]]) -> int:
    return sum(len(v) for v in ids.values())
