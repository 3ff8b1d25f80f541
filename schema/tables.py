"""Every table, constraint and index, named explicitly. Every table is keyed by bank.

Isolation is the database's: every primary and unique key starts with `bank_id`, and every
foreign key between bank-owned rows includes it, so no row can reference another bank's row.

Indexes that exist on one dialect only (HNSW, GIN, partial) carry `ddl_if(dialect=...)`;
Oracle's vector and Oracle Text indexes are created by the Oracle half of the migrations.
"""

from __future__ import annotations

import sqlalchemy as sa

from schema.types import (
    DEFAULT_EMBEDDING_DIM,
    embedding_type,
    json_type,
    long_text,
    short_text,
    text_list_type,
    timestamp_type,
    uuid_list_type,
    uuid_type,
)

FACT_TYPES = ("world", "experience", "observation")
LINK_TYPES = ("temporal", "semantic", "entity", "causal")
#: `waiting`: a parent whose children are not all finished (never claimed; rolled up).
OPERATION_STATUSES = ("pending", "processing", "completed", "failed", "waiting")

#: PostgreSQL only, outside this metadata (revision 0007 creates it in the store's
#: text-search configuration, which the generated expression names): the stored
#: generated tsvector over a unit's `text` and `context`, with its GIN index, and the
#: query function `text_search_query(text)` in the same configuration.
SEARCH_VECTOR = "search_vector"
SEARCH_VECTOR_INDEX = "ix_memory_units_search_vector"

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _bank_fk() -> sa.ForeignKey:
    return sa.ForeignKey("banks.bank_id", ondelete="CASCADE")


def _in_bank(columns: list[str], table: str, name: str, key: str = "id") -> sa.ForeignKeyConstraint:
    """A foreign key to a row of the same bank: (bank_id, *columns) -> (bank_id, key)."""
    return sa.ForeignKeyConstraint(
        ["bank_id", *columns],
        [f"{table}.bank_id", f"{table}.{key}"],
        ondelete="CASCADE",
        name=name,
    )


def _created() -> sa.Column[object]:
    return sa.Column("created_at", timestamp_type(), nullable=False)


def _updated() -> sa.Column[object]:
    return sa.Column("updated_at", timestamp_type(), nullable=False)


banks = sa.Table(
    "banks",
    metadata,
    sa.Column("bank_id", short_text(), primary_key=True),
    sa.Column("name", short_text(), nullable=False),
    sa.Column("metadata", json_type(), nullable=True),
    _created(),
    _updated(),
)

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("bank_id", short_text(), _bank_fk(), primary_key=True),
    sa.Column("document_id", short_text(), primary_key=True),
    sa.Column("content_hash", short_text(64), nullable=False),
    sa.Column("content", long_text(), nullable=True),
    sa.Column("metadata", json_type(), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False),
    _created(),
    _updated(),
)

chunks = sa.Table(
    "chunks",
    metadata,
    sa.Column("bank_id", short_text(), primary_key=True),
    sa.Column("chunk_id", short_text(), primary_key=True),
    sa.Column("document_id", short_text(), nullable=False),
    sa.Column("chunk_index", sa.Integer(), nullable=False),
    sa.Column("text", long_text(), nullable=False),
    # SHA-256 hex of the text (revision 0006); NULL = unknown, re-ingest treats it as changed.
    sa.Column("content_hash", short_text(64), nullable=True),
    sa.ForeignKeyConstraint(
        ["bank_id", "document_id"],
        ["documents.bank_id", "documents.document_id"],
        ondelete="CASCADE",
        name="fk_chunks_document",
    ),
    sa.Index("ix_chunks_document", "bank_id", "document_id", "chunk_index"),
)

memory_units = sa.Table(
    "memory_units",
    metadata,
    sa.Column("id", uuid_type(), nullable=False),
    sa.Column("bank_id", short_text(), _bank_fk(), nullable=False),
    sa.Column("document_id", short_text(), nullable=True),
    sa.Column("chunk_id", short_text(), nullable=True),
    sa.Column("text", long_text(), nullable=False),
    sa.Column("context", long_text(), nullable=True),
    sa.Column("embedding", embedding_type(DEFAULT_EMBEDDING_DIM), nullable=False),
    sa.Column("fact_type", short_text(16), nullable=False),
    sa.Column("event_date", timestamp_type(), nullable=True),
    sa.Column("occurred_start", timestamp_type(), nullable=True),
    sa.Column("occurred_end", timestamp_type(), nullable=True),
    sa.Column("mentioned_at", timestamp_type(), nullable=True),
    sa.Column("tags", text_list_type(), nullable=True),
    sa.Column("metadata", json_type(), nullable=True),
    sa.Column("proof_count", sa.Integer(), nullable=False),
    sa.Column("source_memory_ids", uuid_list_type(), nullable=True),
    _created(),
    _updated(),
    # Lifecycle (revision 0002): consolidation state and curation.
    sa.Column("consolidated_at", timestamp_type(), nullable=True),
    sa.Column("consolidation_failed_at", timestamp_type(), nullable=True),
    sa.Column("invalidated_at", timestamp_type(), nullable=True),
    sa.CheckConstraint(_in("fact_type", FACT_TYPES), name="fact_type"),
    sa.CheckConstraint("proof_count >= 0", name="proof_count"),
    sa.PrimaryKeyConstraint("bank_id", "id"),
    sa.ForeignKeyConstraint(
        ["bank_id", "document_id"],
        ["documents.bank_id", "documents.document_id"],
        ondelete="CASCADE",
        name="fk_memory_units_document",
    ),
    sa.Index("ix_memory_units_bank_fact_date", "bank_id", "fact_type", "event_date"),
    sa.Index("ix_memory_units_bank_created", "bank_id", "created_at", "id"),
    sa.Index("ix_memory_units_document", "bank_id", "document_id"),
    sa.Index("ix_memory_units_bank_consolidated", "bank_id", "consolidated_at", "created_at", "id"),
    # Time windows on `mentioned_at` (revision 0013); `event_date` windows use
    # ix_memory_units_bank_fact_date.
    sa.Index("ix_memory_units_bank_mentioned", "bank_id", "mentioned_at"),
)

# Occurred-range windows (revision 0013; repo/sql/time_range.py): PostgreSQL overlaps the
# unit's closed range with the window in this GiST index (units with a start only);
# Oracle compares the range's ends, reading (bank_id, occurred_start, occurred_end).
OCCURRED_RANGE = sa.func.tstzrange(
    memory_units.c.occurred_start,
    sa.func.greatest(
        memory_units.c.occurred_start,
        sa.func.coalesce(memory_units.c.occurred_end, memory_units.c.occurred_start),
    ),
    sa.literal_column("'[]'"),
)
sa.Index(
    "ix_memory_units_occurred",
    OCCURRED_RANGE,
    postgresql_using="gist",
    postgresql_where=memory_units.c.occurred_start.isnot(None),
).ddl_if(dialect="postgresql")
sa.Index(
    "ix_memory_units_bank_occurred",
    memory_units.c.bank_id,
    memory_units.c.occurred_start,
    memory_units.c.occurred_end,
).ddl_if(dialect="oracle")

#: One HNSW graph per fact type (revision 0009): each semantic arm searches one fact type.
VECTOR_INDEXES = {ft: f"ix_memory_units_embedding_hnsw_{ft}" for ft in FACT_TYPES}
#: The HNSW graphs' build options (revision 0014; pgvector's defaults, m 16 and
#: ef_construction 64, left the worst searches at 100,000 units below recall@10 0.8).
HNSW_BUILD = {"m": 24, "ef_construction": 128}
for _fact_type, _name in VECTOR_INDEXES.items():
    sa.Index(
        _name,
        memory_units.c.embedding,
        postgresql_using="hnsw",
        postgresql_with=HNSW_BUILD,
        postgresql_ops={"embedding": "vector_cosine_ops"},
        postgresql_where=memory_units.c.fact_type == sa.literal_column(f"'{_fact_type}'"),
    ).ddl_if(dialect="postgresql")

# Tag filters (`tags @> ...`, `tags && ...`; revision 0011): a selective filter reads
# the matching units from this index (ANDed with the bank's btree in one bitmap) instead
# of scanning the bank's wide rows. Oracle filters tags with JSON_TABLE / JSON_EXISTS.
sa.Index(
    "ix_memory_units_tags",
    memory_units.c.tags,
    postgresql_using="gin",
).ddl_if(dialect="postgresql")

# A tag filter with `untagged="include"` is `(no tags) OR (tag condition)`: this partial
# index holds the untagged units (revision 0012), so the OR is a BitmapOr of it and
# `ix_memory_units_tags`; no other filter implies its predicate, so it serves nothing else.
# The revision also keeps statistics on the expression (`st_memory_units_tag_count`), so
# the planner knows the share of untagged units. Oracle: none.
sa.Index(
    "ix_memory_units_untagged",
    memory_units.c.bank_id,
    memory_units.c.fact_type,
    postgresql_where=sa.text("COALESCE(cardinality(tags), 0) = 0"),
).ddl_if(dialect="postgresql")

sa.Index(
    "ix_memory_units_source_ids",
    memory_units.c.source_memory_ids,
    postgresql_using="gin",
).ddl_if(dialect="postgresql")

entities = sa.Table(
    "entities",
    metadata,
    sa.Column("id", uuid_type(), nullable=False),
    sa.Column("bank_id", short_text(), _bank_fk(), nullable=False),
    sa.Column("name", short_text(), nullable=False),
    sa.Column("canonical_name", short_text(), nullable=False),
    sa.Column("entity_type", short_text(64), nullable=True),
    sa.Column("metadata", json_type(), nullable=True),
    sa.Column("mention_count", sa.Integer(), nullable=False),
    _created(),
    _updated(),
    sa.PrimaryKeyConstraint("bank_id", "id"),
    sa.UniqueConstraint("bank_id", "canonical_name", name="uq_entities_bank_canonical_name"),
)

unit_entities = sa.Table(
    "unit_entities",
    metadata,
    sa.Column("unit_id", uuid_type(), nullable=False),
    sa.Column("entity_id", uuid_type(), nullable=False),
    sa.Column("bank_id", short_text(), _bank_fk(), nullable=False),
    sa.PrimaryKeyConstraint("bank_id", "unit_id", "entity_id"),
    _in_bank(["unit_id"], "memory_units", "fk_unit_entities_unit"),
    _in_bank(["entity_id"], "entities", "fk_unit_entities_entity"),
    sa.Index("ix_unit_entities_entity", "bank_id", "entity_id", "unit_id"),
)

# Trigram nearest-neighbour search over entity names (`entities.resolve`); Oracle matches
# names with UTL_MATCH instead (see repo/sql/fuzzy.py). Needs the pg_trgm extension.
sa.Index(
    "ix_entities_name_trgm",
    entities.c.canonical_name,
    postgresql_using="gist",
    postgresql_ops={"canonical_name": "gist_trgm_ops"},
).ddl_if(dialect="postgresql")

# Pairs of entities mentioned by the same unit, both directions, with how many units
# mention both; kept by retain, delete and re-ingest in their own transactions.
entity_cooccurrences = sa.Table(
    "entity_cooccurrences",
    metadata,
    sa.Column("bank_id", short_text(), _bank_fk(), nullable=False),
    sa.Column("entity_id", uuid_type(), nullable=False),
    sa.Column("other_id", uuid_type(), nullable=False),
    sa.Column("units", sa.Integer(), nullable=False),
    sa.CheckConstraint("units >= 0", name="units"),
    sa.PrimaryKeyConstraint("bank_id", "entity_id", "other_id"),
    _in_bank(["entity_id"], "entities", "fk_entity_cooccurrences_entity"),
    _in_bank(["other_id"], "entities", "fk_entity_cooccurrences_other"),
    sa.Index("ix_entity_cooccurrences_strongest", "bank_id", "entity_id", "units"),
    sa.Index("ix_entity_cooccurrences_other", "bank_id", "other_id"),
)

memory_links = sa.Table(
    "memory_links",
    metadata,
    sa.Column("from_unit_id", uuid_type(), nullable=False),
    sa.Column("to_unit_id", uuid_type(), nullable=False),
    sa.Column("link_type", short_text(16), nullable=False),
    sa.Column("bank_id", short_text(), _bank_fk(), nullable=False),
    sa.Column("weight", sa.Float(), nullable=False),
    _created(),
    sa.CheckConstraint(_in("link_type", LINK_TYPES), name="link_type"),
    sa.CheckConstraint("weight >= 0 AND weight <= 1", name="weight"),
    sa.PrimaryKeyConstraint("bank_id", "from_unit_id", "to_unit_id", "link_type"),
    _in_bank(["from_unit_id"], "memory_units", "fk_memory_links_from_unit"),
    _in_bank(["to_unit_id"], "memory_units", "fk_memory_links_to_unit"),
    sa.Index("ix_memory_links_to_unit", "bank_id", "to_unit_id"),
)

observation_sources = sa.Table(
    "observation_sources",
    metadata,
    sa.Column("observation_id", uuid_type(), nullable=False),
    sa.Column("source_id", uuid_type(), nullable=False),
    sa.Column("bank_id", short_text(), _bank_fk(), nullable=False),
    sa.PrimaryKeyConstraint("bank_id", "observation_id", "source_id"),
    _in_bank(["observation_id"], "memory_units", "fk_observation_sources_observation"),
    sa.Index("ix_observation_sources_source", "bank_id", "source_id"),
)

observation_history = sa.Table(
    "observation_history",
    metadata,
    sa.Column("id", uuid_type(), nullable=False),
    sa.Column("bank_id", short_text(), _bank_fk(), nullable=False),
    sa.Column("observation_id", uuid_type(), nullable=False),
    sa.Column("previous_text", long_text(), nullable=False),
    # Source ids added by this change, as a JSON array of UUID strings on both dialects.
    sa.Column("sources_added", json_type(), nullable=True),
    sa.Column("reason", short_text(), nullable=True),
    _created(),
    sa.PrimaryKeyConstraint("bank_id", "id"),
    _in_bank(["observation_id"], "memory_units", "fk_observation_history_observation"),
    sa.Index("ix_observation_history_observation", "bank_id", "observation_id", "created_at"),
)

async_operations = sa.Table(
    "async_operations",
    metadata,
    sa.Column("id", uuid_type(), nullable=False),
    sa.Column("bank_id", short_text(), _bank_fk(), nullable=False),
    sa.Column("operation_type", short_text(64), nullable=False),
    sa.Column("status", short_text(16), nullable=False),
    sa.Column("payload", json_type(), nullable=True),
    sa.Column("result", json_type(), nullable=True),
    sa.Column("error_message", long_text(), nullable=True),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("max_attempts", sa.Integer(), nullable=False),
    # When a pending operation may next be claimed, or when a claim's lease expires.
    sa.Column("next_attempt_at", timestamp_type(), nullable=False),
    sa.Column("parent_id", uuid_type(), nullable=True),
    sa.Column("claimed_by", short_text(), nullable=True),
    sa.Column("claimed_at", timestamp_type(), nullable=True),
    sa.Column("completed_at", timestamp_type(), nullable=True),
    _created(),
    _updated(),
    # A waiting parent's children not finished yet (its roll-up counter; 0 for the rest).
    sa.Column("unfinished_children", sa.Integer(), nullable=False, server_default=sa.text("0")),
    sa.CheckConstraint(_in("status", OPERATION_STATUSES), name="status"),
    sa.CheckConstraint("attempts >= 0 AND max_attempts >= 1", name="attempts"),
    sa.CheckConstraint("unfinished_children >= 0", name="unfinished_children"),
    sa.PrimaryKeyConstraint("bank_id", "id"),
    _in_bank(["parent_id"], "async_operations", "fk_async_operations_parent"),
    # Workers address operations by id alone (claim, complete, fail).
    sa.Index("ix_async_operations_id", "id"),
    sa.Index("ix_async_operations_parent", "parent_id"),
    sa.Index("ix_async_operations_bank_status", "bank_id", "status"),
)

sa.Index(
    "ix_async_operations_claimable",
    async_operations.c.next_attempt_at,
    postgresql_where=sa.text("status IN ('pending', 'processing')"),
).ddl_if(dialect="postgresql")

#: Per-bank counters as insert-only deltas (revision 0010): database triggers on the
#: counted tables (units by fact type, links by type, entities, documents, operations by
#: status) add rows in the transaction of every write that changes a figure; `banks.stats`
#: sums a bank's rows (no scan of the counted tables) and `banks.fold_stats` folds them.
#: `written_at`: the written row's own time (its removal: the database's clock).
bank_stat_deltas = sa.Table(
    "bank_stat_deltas",
    metadata,
    sa.Column("bank_id", short_text(), _bank_fk(), nullable=False),
    sa.Column("id", uuid_type(), nullable=False),
    sa.Column("kind", short_text(64), nullable=False),
    sa.Column("delta", sa.BigInteger(), nullable=False),
    sa.Column("written_at", timestamp_type(), nullable=True),
    sa.PrimaryKeyConstraint("bank_id", "id"),
    sa.Index("ix_bank_stat_deltas_kind", "bank_id", "kind"),
)

ALL_TABLES = tuple(metadata.sorted_tables)


def metadata_for_dim(dim: int) -> sa.MetaData:
    """The metadata with `memory_units.embedding` of dimension `dim` (the schema a migration
    with that dimension creates; statements do not depend on it)."""
    if dim == DEFAULT_EMBEDDING_DIM:
        return metadata
    copy = sa.MetaData(naming_convention=NAMING_CONVENTION)
    for table in metadata.sorted_tables:
        twins = {i.name: i for i in table.to_metadata(copy).indexes}
        for index in table.indexes:  # `to_metadata` drops an index's dialect condition
            ddl_if = getattr(index, "_ddl_if", None)
            if ddl_if is not None:
                twins[index.name].ddl_if(
                    dialect=ddl_if.dialect, callable_=ddl_if.callable_, state=ddl_if.state
                )
    copy.tables["memory_units"].c.embedding.type = embedding_type(dim)
    return copy
