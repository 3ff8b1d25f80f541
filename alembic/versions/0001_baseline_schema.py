"""Baseline schema: banks, documents, chunks, memory units, entities, links, observation
sources and the operation queue.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 08:57:49.789103
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import VECTOR
from sqlalchemy.dialects import oracle, postgresql

from repo.migrations import embedding_dim, run_for_dialect
from repo.oracle_ddl import guarded_index

TIMESTAMPTZ = sa.DateTime(timezone=True)

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _pg_upgrade() -> None:
    op.create_table(
        "banks",
        sa.Column("bank_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("metadata", postgresql.JSONB(), nullable=True),
        sa.Column("created_at", TIMESTAMPTZ, nullable=False),
        sa.Column("updated_at", TIMESTAMPTZ, nullable=False),
        sa.PrimaryKeyConstraint("bank_id", name=op.f("pk_banks")),
    )
    op.create_table(
        "async_operations",
        sa.Column("id", postgresql.UUID(), nullable=False),
        sa.Column("bank_id", sa.String(length=255), nullable=False),
        sa.Column("operation_type", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=True),
        sa.Column("result", postgresql.JSONB(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMPTZ, nullable=False),
        sa.Column("parent_id", postgresql.UUID(), nullable=True),
        sa.Column("claimed_by", sa.String(length=255), nullable=True),
        sa.Column("claimed_at", TIMESTAMPTZ, nullable=True),
        sa.Column("completed_at", TIMESTAMPTZ, nullable=True),
        sa.Column("created_at", TIMESTAMPTZ, nullable=False),
        sa.Column("updated_at", TIMESTAMPTZ, nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'processing', 'completed', 'failed')",
            name=op.f("ck_async_operations_status"),
        ),
        sa.CheckConstraint(
            "attempts >= 0 AND max_attempts >= 1", name=op.f("ck_async_operations_attempts")
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.bank_id"],
            name=op.f("fk_async_operations_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["async_operations.id"],
            name=op.f("fk_async_operations_parent_id_async_operations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_async_operations")),
    )
    op.create_index(
        "ix_async_operations_bank_status", "async_operations", ["bank_id", "status"], unique=False
    )
    op.create_index(
        "ix_async_operations_claimable",
        "async_operations",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending', 'processing')"),
    )
    op.create_index("ix_async_operations_parent", "async_operations", ["parent_id"], unique=False)
    op.create_table(
        "documents",
        sa.Column("bank_id", sa.String(length=255), nullable=False),
        sa.Column("document_id", sa.String(length=255), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("metadata", postgresql.JSONB(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, nullable=False),
        sa.Column("updated_at", TIMESTAMPTZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.bank_id"],
            name=op.f("fk_documents_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("bank_id", "document_id", name=op.f("pk_documents")),
    )
    op.create_table(
        "entities",
        sa.Column("id", postgresql.UUID(), nullable=False),
        sa.Column("bank_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("canonical_name", sa.String(length=255), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=True),
        sa.Column("metadata", postgresql.JSONB(), nullable=True),
        sa.Column("mention_count", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, nullable=False),
        sa.Column("updated_at", TIMESTAMPTZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.bank_id"],
            name=op.f("fk_entities_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entities")),
        sa.UniqueConstraint("bank_id", "canonical_name", name="uq_entities_bank_canonical_name"),
    )
    op.create_table(
        "chunks",
        sa.Column("bank_id", sa.String(length=255), nullable=False),
        sa.Column("chunk_id", sa.String(length=255), nullable=False),
        sa.Column("document_id", sa.String(length=255), nullable=False),
        sa.Column("chunk_index", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id", "document_id"],
            ["documents.bank_id", "documents.document_id"],
            name="fk_chunks_document",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("bank_id", "chunk_id", name=op.f("pk_chunks")),
    )
    op.create_index(
        "ix_chunks_document", "chunks", ["bank_id", "document_id", "chunk_index"], unique=False
    )
    op.create_table(
        "memory_units",
        sa.Column("id", postgresql.UUID(), nullable=False),
        sa.Column("bank_id", sa.String(length=255), nullable=False),
        sa.Column("document_id", sa.String(length=255), nullable=True),
        sa.Column("chunk_id", sa.String(length=255), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("context", sa.Text(), nullable=True),
        sa.Column("embedding", VECTOR(embedding_dim()), nullable=False),
        sa.Column("fact_type", sa.String(length=16), nullable=False),
        sa.Column("event_date", TIMESTAMPTZ, nullable=True),
        sa.Column("occurred_start", TIMESTAMPTZ, nullable=True),
        sa.Column("occurred_end", TIMESTAMPTZ, nullable=True),
        sa.Column("mentioned_at", TIMESTAMPTZ, nullable=True),
        sa.Column("tags", postgresql.ARRAY(sa.Text()), nullable=True),
        sa.Column("metadata", postgresql.JSONB(), nullable=True),
        sa.Column("proof_count", sa.Integer(), nullable=False),
        sa.Column("source_memory_ids", postgresql.ARRAY(postgresql.UUID()), nullable=True),
        sa.Column("created_at", TIMESTAMPTZ, nullable=False),
        sa.Column("updated_at", TIMESTAMPTZ, nullable=False),
        sa.CheckConstraint(
            "fact_type IN ('world', 'experience', 'observation')",
            name=op.f("ck_memory_units_fact_type"),
        ),
        sa.CheckConstraint("proof_count >= 0", name=op.f("ck_memory_units_proof_count")),
        sa.ForeignKeyConstraint(
            ["bank_id", "document_id"],
            ["documents.bank_id", "documents.document_id"],
            name="fk_memory_units_document",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.bank_id"],
            name=op.f("fk_memory_units_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memory_units")),
    )
    op.create_index(
        "ix_memory_units_bank_created",
        "memory_units",
        ["bank_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_memory_units_bank_fact_date",
        "memory_units",
        ["bank_id", "fact_type", "event_date"],
        unique=False,
    )
    op.create_index(
        "ix_memory_units_document", "memory_units", ["bank_id", "document_id"], unique=False
    )
    op.create_index(
        "ix_memory_units_embedding_hnsw",
        "memory_units",
        ["embedding"],
        unique=False,
        postgresql_using="hnsw",
        postgresql_with={"m": 16, "ef_construction": 64},
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    op.create_index(
        "ix_memory_units_text_fts",
        "memory_units",
        [sa.text("to_tsvector('english'::regconfig, text)")],
        postgresql_using="gin",
    )
    op.create_index(
        "ix_memory_units_source_ids",
        "memory_units",
        ["source_memory_ids"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_table(
        "memory_links",
        sa.Column("from_unit_id", postgresql.UUID(), nullable=False),
        sa.Column("to_unit_id", postgresql.UUID(), nullable=False),
        sa.Column("link_type", sa.String(length=16), nullable=False),
        sa.Column("bank_id", sa.String(length=255), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("created_at", TIMESTAMPTZ, nullable=False),
        sa.CheckConstraint(
            "link_type IN ('temporal', 'semantic', 'entity', 'causal')",
            name=op.f("ck_memory_links_link_type"),
        ),
        sa.CheckConstraint("weight >= 0 AND weight <= 1", name=op.f("ck_memory_links_weight")),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.bank_id"],
            name=op.f("fk_memory_links_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_unit_id"],
            ["memory_units.id"],
            name=op.f("fk_memory_links_from_unit_id_memory_units"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_unit_id"],
            ["memory_units.id"],
            name=op.f("fk_memory_links_to_unit_id_memory_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "from_unit_id", "to_unit_id", "link_type", name=op.f("pk_memory_links")
        ),
    )
    op.create_index("ix_memory_links_to_unit", "memory_links", ["to_unit_id"], unique=False)
    op.create_table(
        "observation_sources",
        sa.Column("observation_id", postgresql.UUID(), nullable=False),
        sa.Column("source_id", postgresql.UUID(), nullable=False),
        sa.Column("bank_id", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.bank_id"],
            name=op.f("fk_observation_sources_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["memory_units.id"],
            name=op.f("fk_observation_sources_observation_id_memory_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("observation_id", "source_id", name=op.f("pk_observation_sources")),
    )
    op.create_index(
        "ix_observation_sources_source", "observation_sources", ["source_id"], unique=False
    )
    op.create_table(
        "unit_entities",
        sa.Column("unit_id", postgresql.UUID(), nullable=False),
        sa.Column("entity_id", postgresql.UUID(), nullable=False),
        sa.Column("bank_id", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.bank_id"],
            name=op.f("fk_unit_entities_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name=op.f("fk_unit_entities_entity_id_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["memory_units.id"],
            name=op.f("fk_unit_entities_unit_id_memory_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("unit_id", "entity_id", name=op.f("pk_unit_entities")),
    )
    op.create_index(
        "ix_unit_entities_entity", "unit_entities", ["entity_id", "unit_id"], unique=False
    )


def _pg_downgrade() -> None:
    op.drop_index("ix_unit_entities_entity", table_name="unit_entities")
    op.drop_table("unit_entities")
    op.drop_index("ix_observation_sources_source", table_name="observation_sources")
    op.drop_table("observation_sources")
    op.drop_index("ix_memory_links_to_unit", table_name="memory_links")
    op.drop_table("memory_links")
    op.drop_index("ix_memory_units_text_fts", table_name="memory_units")
    op.drop_index("ix_memory_units_source_ids", table_name="memory_units", postgresql_using="gin")
    op.drop_index(
        "ix_memory_units_embedding_hnsw",
        table_name="memory_units",
        postgresql_using="hnsw",
        postgresql_with={"m": 16, "ef_construction": 64},
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    op.drop_index("ix_memory_units_document", table_name="memory_units")
    op.drop_index("ix_memory_units_bank_fact_date", table_name="memory_units")
    op.drop_index("ix_memory_units_bank_created", table_name="memory_units")
    op.drop_table("memory_units")
    op.drop_index("ix_chunks_document", table_name="chunks")
    op.drop_table("chunks")
    op.drop_table("entities")
    op.drop_table("documents")
    op.drop_index("ix_async_operations_parent", table_name="async_operations")
    op.drop_index(
        "ix_async_operations_claimable",
        table_name="async_operations",
        postgresql_where=sa.text("status IN ('pending', 'processing')"),
    )
    op.drop_index("ix_async_operations_bank_status", table_name="async_operations")
    op.drop_table("async_operations")
    op.drop_table("banks")


def _oracle_upgrade() -> None:
    """The same tables, constraints and indexes in Oracle 23ai types; PostgreSQL-only
    indexes (HNSW, GIN, partial) become Oracle ones named `ixo_*` (skipped by the drift
    comparison): an IVF vector index, an Oracle Text index and a function-based index.

    Resumable (Oracle DDL commits itself, so a failed run leaves objects behind): tables and
    B-tree indexes are created IF NOT EXISTS, the vector and text indexes after a dictionary
    check (repo/oracle_ddl.py). A rerun creates what is missing; what is created is the same.
    """
    create_table = functools.partial(op.create_table, if_not_exists=True)
    create_index = functools.partial(op.create_index, if_not_exists=True)

    class Vector(sa.types.UserDefinedType[Any]):
        """`VECTOR(n, FLOAT32)`, the documented two-argument form (SQLAlchemy's
        `oracle.VECTOR` adds a third, storage-type argument that Oracle added in 23.7)."""

        cache_ok = True

        def get_col_spec(self, **kw: Any) -> str:
            return f"VECTOR({embedding_dim()}, FLOAT32)"

    uid = oracle.RAW(16)
    key = sa.String(length=255)  # VARCHAR2(255 CHAR)
    tstz = oracle.TIMESTAMP(timezone=True)
    json = sa.JSON()  # native JSON (23ai)

    create_table(
        "banks",
        sa.Column("bank_id", key, nullable=False),
        sa.Column("name", key, nullable=False),
        sa.Column("metadata", json, nullable=True),
        sa.Column("created_at", tstz, nullable=False),
        sa.Column("updated_at", tstz, nullable=False),
        sa.PrimaryKeyConstraint("bank_id", name=op.f("pk_banks")),
    )
    create_table(
        "async_operations",
        sa.Column("id", uid, nullable=False),
        sa.Column("bank_id", key, nullable=False),
        sa.Column("operation_type", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("payload", json, nullable=True),
        sa.Column("result", json, nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", tstz, nullable=False),
        sa.Column("parent_id", uid, nullable=True),
        sa.Column("claimed_by", key, nullable=True),
        sa.Column("claimed_at", tstz, nullable=True),
        sa.Column("completed_at", tstz, nullable=True),
        sa.Column("created_at", tstz, nullable=False),
        sa.Column("updated_at", tstz, nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'processing', 'completed', 'failed')",
            name=op.f("ck_async_operations_status"),
        ),
        sa.CheckConstraint(
            "attempts >= 0 AND max_attempts >= 1", name=op.f("ck_async_operations_attempts")
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.bank_id"],
            name=op.f("fk_async_operations_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["async_operations.id"],
            name=op.f("fk_async_operations_parent_id_async_operations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_async_operations")),
    )
    create_index(
        "ix_async_operations_bank_status", "async_operations", ["bank_id", "status"], unique=False
    )
    # No partial indexes in Oracle: index only the claimable rows' next_attempt_at (rows
    # whose CASE yields NULL are not in the B-tree).
    create_index(
        "ixo_async_operations_claimable",
        "async_operations",
        [sa.text("CASE WHEN status IN ('pending', 'processing') THEN next_attempt_at END")],
        unique=False,
    )
    create_index("ix_async_operations_parent", "async_operations", ["parent_id"], unique=False)
    create_table(
        "documents",
        sa.Column("bank_id", key, nullable=False),
        sa.Column("document_id", key, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("metadata", json, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", tstz, nullable=False),
        sa.Column("updated_at", tstz, nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.bank_id"],
            name=op.f("fk_documents_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("bank_id", "document_id", name=op.f("pk_documents")),
    )
    create_table(
        "entities",
        sa.Column("id", uid, nullable=False),
        sa.Column("bank_id", key, nullable=False),
        sa.Column("name", key, nullable=False),
        sa.Column("canonical_name", key, nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=True),
        sa.Column("metadata", json, nullable=True),
        sa.Column("mention_count", sa.Integer(), nullable=False),
        sa.Column("created_at", tstz, nullable=False),
        sa.Column("updated_at", tstz, nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.bank_id"],
            name=op.f("fk_entities_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entities")),
        sa.UniqueConstraint("bank_id", "canonical_name", name="uq_entities_bank_canonical_name"),
    )
    create_table(
        "chunks",
        sa.Column("bank_id", key, nullable=False),
        sa.Column("chunk_id", key, nullable=False),
        sa.Column("document_id", key, nullable=False),
        sa.Column("chunk_index", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id", "document_id"],
            ["documents.bank_id", "documents.document_id"],
            name="fk_chunks_document",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("bank_id", "chunk_id", name=op.f("pk_chunks")),
    )
    create_index(
        "ix_chunks_document", "chunks", ["bank_id", "document_id", "chunk_index"], unique=False
    )
    create_table(
        "memory_units",
        sa.Column("id", uid, nullable=False),
        sa.Column("bank_id", key, nullable=False),
        sa.Column("document_id", key, nullable=True),
        sa.Column("chunk_id", key, nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("context", sa.Text(), nullable=True),
        sa.Column("embedding", Vector(), nullable=False),
        sa.Column("fact_type", sa.String(length=16), nullable=False),
        sa.Column("event_date", tstz, nullable=True),
        sa.Column("occurred_start", tstz, nullable=True),
        sa.Column("occurred_end", tstz, nullable=True),
        sa.Column("mentioned_at", tstz, nullable=True),
        sa.Column("tags", json, nullable=True),
        sa.Column("metadata", json, nullable=True),
        sa.Column("proof_count", sa.Integer(), nullable=False),
        sa.Column("source_memory_ids", json, nullable=True),
        sa.Column("created_at", tstz, nullable=False),
        sa.Column("updated_at", tstz, nullable=False),
        sa.CheckConstraint(
            "fact_type IN ('world', 'experience', 'observation')",
            name=op.f("ck_memory_units_fact_type"),
        ),
        sa.CheckConstraint("proof_count >= 0", name=op.f("ck_memory_units_proof_count")),
        sa.ForeignKeyConstraint(
            ["bank_id", "document_id"],
            ["documents.bank_id", "documents.document_id"],
            name="fk_memory_units_document",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.bank_id"],
            name=op.f("fk_memory_units_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memory_units")),
    )
    create_index(
        "ix_memory_units_bank_created",
        "memory_units",
        ["bank_id", "created_at", "id"],
        unique=False,
    )
    create_index(
        "ix_memory_units_bank_fact_date",
        "memory_units",
        ["bank_id", "fact_type", "event_date"],
        unique=False,
    )
    create_index(
        "ix_memory_units_document", "memory_units", ["bank_id", "document_id"], unique=False
    )
    # IVF ("neighbor partitions"): lives on disk, needs no vector memory pool (HNSW does).
    # Its centroids come from the rows present at creation: rebuild it after bulk loads
    # (ALTER INDEX ixo_memory_units_embedding REBUILD ONLINE).
    op.execute(
        guarded_index(
            "ixo_memory_units_embedding",
            "CREATE VECTOR INDEX ixo_memory_units_embedding ON memory_units (embedding) "
            "ORGANIZATION NEIGHBOR PARTITIONS DISTANCE COSINE WITH TARGET ACCURACY 95",
        )
    )
    # Oracle Text, synchronised at commit: committed rows are searchable at once.
    op.execute(
        guarded_index(
            "ixo_memory_units_text",
            "CREATE INDEX ixo_memory_units_text ON memory_units (text) "
            "INDEXTYPE IS CTXSYS.CONTEXT PARAMETERS ('SYNC (ON COMMIT)')",
            domain=True,
        )
    )
    create_table(
        "memory_links",
        sa.Column("from_unit_id", uid, nullable=False),
        sa.Column("to_unit_id", uid, nullable=False),
        sa.Column("link_type", sa.String(length=16), nullable=False),
        sa.Column("bank_id", key, nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("created_at", tstz, nullable=False),
        sa.CheckConstraint(
            "link_type IN ('temporal', 'semantic', 'entity', 'causal')",
            name=op.f("ck_memory_links_link_type"),
        ),
        sa.CheckConstraint("weight >= 0 AND weight <= 1", name=op.f("ck_memory_links_weight")),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.bank_id"],
            name=op.f("fk_memory_links_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_unit_id"],
            ["memory_units.id"],
            name=op.f("fk_memory_links_from_unit_id_memory_units"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_unit_id"],
            ["memory_units.id"],
            name=op.f("fk_memory_links_to_unit_id_memory_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "from_unit_id", "to_unit_id", "link_type", name=op.f("pk_memory_links")
        ),
    )
    create_index("ix_memory_links_to_unit", "memory_links", ["to_unit_id"], unique=False)
    create_table(
        "observation_sources",
        sa.Column("observation_id", uid, nullable=False),
        sa.Column("source_id", uid, nullable=False),
        sa.Column("bank_id", key, nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.bank_id"],
            name=op.f("fk_observation_sources_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["memory_units.id"],
            name=op.f("fk_observation_sources_observation_id_memory_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("observation_id", "source_id", name=op.f("pk_observation_sources")),
    )
    create_index(
        "ix_observation_sources_source", "observation_sources", ["source_id"], unique=False
    )
    create_table(
        "unit_entities",
        sa.Column("unit_id", uid, nullable=False),
        sa.Column("entity_id", uid, nullable=False),
        sa.Column("bank_id", key, nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.bank_id"],
            name=op.f("fk_unit_entities_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name=op.f("fk_unit_entities_entity_id_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["memory_units.id"],
            name=op.f("fk_unit_entities_unit_id_memory_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("unit_id", "entity_id", name=op.f("pk_unit_entities")),
    )
    create_index("ix_unit_entities_entity", "unit_entities", ["entity_id", "unit_id"], unique=False)


def _oracle_downgrade() -> None:
    # IF EXISTS (23ai): a downgrade that failed part-way can be run again.
    op.drop_index("ix_unit_entities_entity", table_name="unit_entities", if_exists=True)
    op.drop_table("unit_entities", if_exists=True)
    op.drop_index("ix_observation_sources_source", table_name="observation_sources", if_exists=True)
    op.drop_table("observation_sources", if_exists=True)
    op.drop_index("ix_memory_links_to_unit", table_name="memory_links", if_exists=True)
    op.drop_table("memory_links", if_exists=True)
    op.drop_index("ixo_memory_units_text", table_name="memory_units", if_exists=True)
    op.drop_index("ixo_memory_units_embedding", table_name="memory_units", if_exists=True)
    op.drop_index("ix_memory_units_document", table_name="memory_units", if_exists=True)
    op.drop_index("ix_memory_units_bank_fact_date", table_name="memory_units", if_exists=True)
    op.drop_index("ix_memory_units_bank_created", table_name="memory_units", if_exists=True)
    op.drop_table("memory_units", if_exists=True)
    op.drop_index("ix_chunks_document", table_name="chunks", if_exists=True)
    op.drop_table("chunks", if_exists=True)
    op.drop_table("entities", if_exists=True)
    op.drop_table("documents", if_exists=True)
    op.drop_index("ix_async_operations_parent", table_name="async_operations", if_exists=True)
    op.drop_index("ixo_async_operations_claimable", table_name="async_operations", if_exists=True)
    op.drop_index("ix_async_operations_bank_status", table_name="async_operations", if_exists=True)
    op.drop_table("async_operations", if_exists=True)
    op.drop_table("banks", if_exists=True)


def upgrade() -> None:
    run_for_dialect(pg=_pg_upgrade, oracle=_oracle_upgrade)


def downgrade() -> None:
    run_for_dialect(pg=_pg_downgrade, oracle=_oracle_downgrade)
