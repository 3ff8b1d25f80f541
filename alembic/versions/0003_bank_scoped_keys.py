"""Bank-scoped keys: every primary key starts with bank_id, and every foreign key between
bank-owned rows includes it, so the database refuses a row that references another bank's.

- memory_units, entities, async_operations, observation_history: primary key
  (bank_id, id); async_operations also gets a plain index on id (workers address
  operations by id alone).
- memory_links (bank_id, from, to, type), unit_entities (bank_id, unit, entity),
  observation_sources (bank_id, observation, source): primary keys with bank_id first.
- Foreign keys (bank_id, from_unit_id) and (bank_id, to_unit_id) -> memory_units,
  (bank_id, unit_id) -> memory_units and (bank_id, entity_id) -> entities,
  (bank_id, observation_id) -> memory_units (observation sources and history),
  (bank_id, parent_id) -> async_operations,
  all ON DELETE CASCADE, replace the single-column ones.
- The indexes behind those keys lead with bank_id: ix_unit_entities_entity
  (bank_id, entity_id, unit_id), ix_memory_links_to_unit (bank_id, to_unit_id),
  ix_observation_sources_source (bank_id, source_id).

Rows that already break isolation cannot satisfy the new keys and are DELETED by the
upgrade: links, entity mentions and observation sources whose ends are not units (or
entities) of the row's own bank, and operations whose parent belongs to another bank
(with their subtrees, by the cascade). Nothing else is touched.

The downgrade restores the single-column keys; it fails if two banks have since stored
units, entities or operations with the same id.

The Oracle half is resumable (its DDL commits statement by statement): dropping a
constraint that is gone or adding one that exists is skipped.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 00:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from repo.migrations import run_for_dialect

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, old single-column foreign key, column, referred table) of 0001 and 0002.
OLD_FKS = (
    ("memory_links", "fk_memory_links_from_unit_id_memory_units", "from_unit_id", "memory_units"),
    ("memory_links", "fk_memory_links_to_unit_id_memory_units", "to_unit_id", "memory_units"),
    ("unit_entities", "fk_unit_entities_unit_id_memory_units", "unit_id", "memory_units"),
    ("unit_entities", "fk_unit_entities_entity_id_entities", "entity_id", "entities"),
    (
        "observation_sources",
        "fk_observation_sources_observation_id_memory_units",
        "observation_id",
        "memory_units",
    ),
    (
        "observation_history",
        "fk_observation_history_observation_id_memory_units",
        "observation_id",
        "memory_units",
    ),
    (
        "async_operations",
        "fk_async_operations_parent_id_async_operations",
        "parent_id",
        "async_operations",
    ),
)
#: The bank-scoped foreign keys that replace them, in the same order.
NEW_FKS = (
    "fk_memory_links_from_unit",
    "fk_memory_links_to_unit",
    "fk_unit_entities_unit",
    "fk_unit_entities_entity",
    "fk_observation_sources_observation",
    "fk_observation_history_observation",
    "fk_async_operations_parent",
)
#: table -> (primary key before, primary key from here on).
PRIMARY_KEYS = {
    "memory_units": (["id"], ["bank_id", "id"]),
    "entities": (["id"], ["bank_id", "id"]),
    "async_operations": (["id"], ["bank_id", "id"]),
    "observation_history": (["id"], ["bank_id", "id"]),
    "memory_links": (
        ["from_unit_id", "to_unit_id", "link_type"],
        ["bank_id", "from_unit_id", "to_unit_id", "link_type"],
    ),
    "unit_entities": (["unit_id", "entity_id"], ["bank_id", "unit_id", "entity_id"]),
    "observation_sources": (
        ["observation_id", "source_id"],
        ["bank_id", "observation_id", "source_id"],
    ),
}

#: index -> (table, columns of 0001, columns from here on).
INDEXES = {
    "ix_unit_entities_entity": (
        "unit_entities",
        ["entity_id", "unit_id"],
        ["bank_id", "entity_id", "unit_id"],
    ),
    "ix_memory_links_to_unit": ("memory_links", ["to_unit_id"], ["bank_id", "to_unit_id"]),
    "ix_observation_sources_source": (
        "observation_sources",
        ["source_id"],
        ["bank_id", "source_id"],
    ),
}

#: Rows whose reference leaves their own bank (portable SQL, run before the new keys).
CROSS_BANK_DELETES = tuple(
    f"DELETE FROM {table} WHERE {column} IS NOT NULL AND NOT EXISTS ("
    f"SELECT 1 FROM {referred} r WHERE r.bank_id = {table}.bank_id AND r.id = {table}.{column})"
    for table, _, column, referred in OLD_FKS
)

#: Oracle errors a resumed upgrade meets for work already done: ORA-02443 (no such
#: constraint), ORA-02260 (table already has a primary key), ORA-02275 (such a referential
#: constraint already exists), ORA-00955 (name already used), ORA-01418 (no such index).
ORACLE_ALREADY_DONE = (2443, 2260, 2275, 955, 1418)


def _upgrade_steps(ddl: _Ddl) -> None:
    if ddl.resumable:  # a resumed run: the primary keys cannot change under the new keys
        for (table, _, _, _), name in zip(OLD_FKS, NEW_FKS, strict=True):
            ddl(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for sql in CROSS_BANK_DELETES:
        op.execute(sql)
    for table, name, _, _ in OLD_FKS:
        ddl(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for table, (_, new) in PRIMARY_KEYS.items():
        ddl(f"ALTER TABLE {table} DROP CONSTRAINT pk_{table}")
        ddl(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({', '.join(new)})")
    ddl("CREATE INDEX ix_async_operations_id ON async_operations (id)")
    for index, (table, _, new) in INDEXES.items():
        ddl(f"DROP INDEX {index}")
        ddl(f"CREATE INDEX {index} ON {table} ({', '.join(new)})")
    for (table, _, column, referred), name in zip(OLD_FKS, NEW_FKS, strict=True):
        ddl(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY (bank_id, {column}) "
            f"REFERENCES {referred} (bank_id, id) ON DELETE CASCADE"
        )


def _downgrade_steps(ddl: _Ddl) -> None:
    for (table, _, _, _), name in zip(OLD_FKS, NEW_FKS, strict=True):
        ddl(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    ddl("DROP INDEX ix_async_operations_id")
    for index, (table, old, _) in INDEXES.items():
        ddl(f"DROP INDEX {index}")
        ddl(f"CREATE INDEX {index} ON {table} ({', '.join(old)})")
    for table, (old, _) in PRIMARY_KEYS.items():
        ddl(f"ALTER TABLE {table} DROP CONSTRAINT pk_{table}")
        ddl(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY ({', '.join(old)})")
    for table, name, column, referred in OLD_FKS:
        ddl(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({column}) "
            f"REFERENCES {referred} (id) ON DELETE CASCADE"
        )


class _Ddl:
    """Runs one DDL statement: as it is (PostgreSQL, transactional), or in a PL/SQL block
    that skips work a failed earlier run already did (Oracle DDL commits itself)."""

    def __init__(self, *, resumable: bool) -> None:
        self.resumable = resumable

    def __call__(self, sql: str) -> None:
        if not self.resumable:
            op.execute(sql)
            return
        codes = ", ".join(f"-{c}" for c in ORACLE_ALREADY_DONE)
        op.execute(
            f"BEGIN EXECUTE IMMEDIATE '{sql}'; "
            f"EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN ({codes}) THEN RAISE; END IF; END;"
        )


def _pg_upgrade() -> None:
    _upgrade_steps(_Ddl(resumable=False))


def _pg_downgrade() -> None:
    _downgrade_steps(_Ddl(resumable=False))


def _oracle_upgrade() -> None:
    _upgrade_steps(_Ddl(resumable=True))


def _oracle_downgrade() -> None:
    _downgrade_steps(_Ddl(resumable=True))


def upgrade() -> None:
    run_for_dialect(pg=_pg_upgrade, oracle=_oracle_upgrade)


def downgrade() -> None:
    run_for_dialect(pg=_pg_downgrade, oracle=_oracle_downgrade)
