"""Bank counters: `bank_stat_deltas` and the triggers that keep it, so `banks.stats` reads
a bank's counter rows instead of counting its units.

- bank_stat_deltas (bank_id, id, kind, delta, written_at): insert-only signed deltas per
  bank and kind (`units:<fact type>`, `links:<link type>`, `entities`, `documents`,
  `operations:<status>`); a figure is the sum of its kind's rows. Writers never update a
  shared row, so concurrent writers of one bank do not wait for each other here.
- Triggers on memory_units, memory_links, entities (insert, delete), documents and
  async_operations (insert, update, delete) add the rows in the writing transaction, for
  every path that changes a figure, cascades included (links of removed units, a bank's
  rows). PostgreSQL: statement triggers over transition tables, one row per bank and
  kind per statement (a statement that changes nothing adds nothing); removals of a bank
  that is itself being deleted are not counted. Oracle: row triggers, one row per
  changed row; `banks.stats` folds them once they pass a threshold.
- The upgrade fills the table from the data (one row per bank and kind).

The Oracle half is resumable: the table and index are created only if missing, triggers
are CREATE OR REPLACE, and the backfill replaces whatever an interrupted run left.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 03:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import oracle, postgresql

from repo.migrations import migration_schema, run_for_dialect
from repo.oracle_ddl import guarded_drop_trigger

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "bank_stat_deltas"
INDEX = "ix_bank_stat_deltas_kind"
COLUMNS = "bank_id, id, kind, delta, written_at"


class Counted(NamedTuple):
    """A counted table: its kind as SQL over a row alias `r`, the column that times a
    written row (None: not a write time), and whether updates can change its figures."""

    table: str
    kind: str
    stamp: str | None
    updates: bool = False

    @property
    def group(self) -> str:
        """GROUP BY of the table's rows: bank, and kind unless it is a constant."""
        return f"r.bank_id, {self.kind}" if "r." in self.kind else "r.bank_id"


COUNTED = (
    Counted("memory_units", "'units:' || r.fact_type", "created_at"),
    Counted("memory_links", "'links:' || r.link_type", "created_at"),
    Counted("entities", "'entities'", "created_at"),
    Counted("documents", "'documents'", "updated_at", updates=True),
    Counted("async_operations", "'operations:' || r.status", None, updates=True),
)


def _create_table(uid: sa.types.TypeEngine[object], tstz: sa.types.TypeEngine[object],
                  *, if_not_exists: bool) -> None:  # fmt: skip
    op.create_table(
        TABLE,
        sa.Column("bank_id", sa.String(length=255), nullable=False),
        sa.Column("id", uid, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("delta", sa.BigInteger(), nullable=False),
        sa.Column("written_at", tstz, nullable=True),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.bank_id"],
            name=op.f("fk_bank_stat_deltas_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("bank_id", "id", name=op.f("pk_bank_stat_deltas")),
        if_not_exists=if_not_exists,
    )


def _backfill(new_id: str) -> list[str]:
    """One row per bank and kind of what the tables hold (written_at: the newest row)."""
    out = []
    for c in COUNTED:
        stamp = f"MAX(r.{c.stamp})" if c.stamp else "NULL"
        out.append(
            f"INSERT INTO {TABLE} ({COLUMNS}) SELECT r.bank_id, {new_id}, {c.kind}, COUNT(*), "
            f"{stamp} FROM {c.table} r GROUP BY {c.group}"
        )
    return out


# ------------------------------------------------------------------------- PostgreSQL


def _pg_function(schema: str, c: Counted) -> str:
    deltas, banks = f"{schema}.{TABLE}", f"{schema}.banks"
    new_at = f"MAX(r.{c.stamp})" if c.stamp else "NULL"
    row_at = f"r.{c.stamp}" if c.stamp else "CAST(NULL AS timestamptz)"
    gone_at = "now()" if c.stamp else "NULL"
    update = ""
    if c.updates:  # a row's kind may change (+1 new, -1 old); a timed update is a write
        update = (
            "    ELSIF TG_OP = 'UPDATE' THEN\n"
            f"        INSERT INTO {deltas} ({COLUMNS})\n"
            "        SELECT c.bank_id, gen_random_uuid(), c.kind, SUM(c.n), MAX(c.at) FROM (\n"
            f"            SELECT r.bank_id, {c.kind} AS kind, 1 AS n, {row_at} AS at"
            " FROM new_rows r\n"
            f"            UNION ALL SELECT r.bank_id, {c.kind}, -1, NULL FROM old_rows r\n"
            "        ) c GROUP BY c.bank_id, c.kind\n"
            "        HAVING SUM(c.n) <> 0 OR MAX(c.at) IS NOT NULL;\n"
        )
    return (
        f"CREATE FUNCTION {schema}.{_pg_name(c)}() RETURNS trigger LANGUAGE plpgsql AS $body$\n"
        "BEGIN\n"
        "    IF TG_OP = 'INSERT' THEN\n"
        f"        INSERT INTO {deltas} ({COLUMNS})\n"
        f"        SELECT r.bank_id, gen_random_uuid(), {c.kind}, COUNT(*), {new_at}\n"
        f"        FROM new_rows r GROUP BY {c.group};\n"
        f"{update}"
        "    ELSIF TG_OP = 'DELETE' THEN\n"
        f"        INSERT INTO {deltas} ({COLUMNS})\n"
        f"        SELECT r.bank_id, gen_random_uuid(), {c.kind}, -COUNT(*), {gone_at}\n"
        f"        FROM old_rows r WHERE EXISTS (SELECT 1 FROM {banks} b"
        " WHERE b.bank_id = r.bank_id)\n"
        f"        GROUP BY {c.group};\n"
        "    END IF;\n"
        "    RETURN NULL;\n"
        "END\n"
        "$body$"
    )


def _pg_name(c: Counted) -> str:
    return f"memrepo_count_{c.table}"


def _pg_triggers(schema: str, c: Counted) -> list[str]:
    events = [("insert", "INSERT", "NEW TABLE AS new_rows"),
              ("delete", "DELETE", "OLD TABLE AS old_rows")]  # fmt: skip
    if c.updates:
        events.append(("update", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"))
    return [
        f"CREATE TRIGGER memrepo_count_{name} AFTER {event} ON {schema}.{c.table} "
        f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {schema}.{_pg_name(c)}()"
        for name, event, tables in events
    ]


def _pg_schema() -> str:
    """The migrating schema, quoted: the functions name their tables in it, whatever the
    search_path of the session that fires them."""
    return postgresql.dialect().identifier_preparer.quote_identifier(migration_schema())


def _pg_upgrade() -> None:
    _create_table(postgresql.UUID(), sa.DateTime(timezone=True), if_not_exists=False)
    op.create_index(INDEX, TABLE, ["bank_id", "kind"])
    schema = _pg_schema()
    for c in COUNTED:
        # The triggers first: their tables' writers wait for this transaction (CREATE
        # TRIGGER's lock), so the backfill below counts every row once.
        op.execute(sa.DDL(_pg_function(schema, c)))
        for trigger in _pg_triggers(schema, c):
            op.execute(sa.DDL(trigger))
    for sql in _backfill("gen_random_uuid()"):
        op.execute(sa.DDL(sql))


def _pg_downgrade() -> None:
    schema = _pg_schema()
    for c in COUNTED:
        op.execute(sa.DDL(f"DROP FUNCTION {schema}.{_pg_name(c)}() CASCADE"))
    op.drop_index(INDEX, table_name=TABLE)
    op.drop_table(TABLE)


# ----------------------------------------------------------------------------- Oracle


def _oracle_trigger(c: Counted) -> str:
    """A row trigger: one delta row per changed row."""

    def insert(row: str, sign: str, at: str) -> str:
        kind = c.kind.replace("r.", f":{row}.")
        return (
            f"INSERT INTO {TABLE} ({COLUMNS}) "
            f"VALUES (:{row}.bank_id, SYS_GUID(), {kind}, {sign}, {at});"
        )

    new_at = f":NEW.{c.stamp}" if c.stamp else "NULL"
    gone_at = "SYSTIMESTAMP" if c.stamp else "NULL"
    events = "INSERT OR DELETE"
    update = ""
    if c.updates:
        events += " OR UPDATE"
        old_kind, new_kind = (c.kind.replace("r.", f":{row}.") for row in ("OLD", "NEW"))
        if "r." in c.kind:  # the kind may change: -1 old, +1 new
            update = (
                "    ELSIF UPDATING THEN\n"
                f"        IF {old_kind} <> {new_kind} THEN\n"
                f"            {insert('OLD', '-1', 'NULL')}\n"
                f"            {insert('NEW', '1', new_at)}\n"
                "        END IF;\n"
            )
        else:  # one kind: an update is a write, timed
            update = f"    ELSIF UPDATING THEN\n        {insert('NEW', '0', new_at)}\n"
    return (
        f"CREATE OR REPLACE TRIGGER trg_{c.table}_count\n"
        f"AFTER {events} ON {c.table} FOR EACH ROW\n"
        "BEGIN\n"
        "    IF INSERTING THEN\n"
        f"        {insert('NEW', '1', new_at)}\n"
        f"{update}"
        "    ELSIF DELETING THEN\n"
        f"        {insert('OLD', '-1', gone_at)}\n"
        "    END IF;\n"
        "END;"
    )


def _oracle_upgrade() -> None:
    _create_table(oracle.RAW(16), oracle.TIMESTAMP(timezone=True), if_not_exists=True)
    op.create_index(INDEX, TABLE, ["bank_id", "kind"], if_not_exists=True)
    for c in COUNTED:
        op.execute(sa.DDL(_oracle_trigger(c)))
    # After the triggers (DDL commits): a rerun replaces a backfill an interrupted run left.
    op.execute(sa.DDL(f"DELETE FROM {TABLE}"))
    for sql in _backfill("SYS_GUID()"):
        op.execute(sa.DDL(sql))


def _oracle_downgrade() -> None:
    for c in COUNTED:
        op.execute(sa.DDL(guarded_drop_trigger(f"trg_{c.table}_count")))
    op.drop_index(INDEX, table_name=TABLE, if_exists=True)
    op.drop_table(TABLE, if_exists=True)


def upgrade() -> None:
    run_for_dialect(pg=_pg_upgrade, oracle=_oracle_upgrade)


def downgrade() -> None:
    run_for_dialect(pg=_pg_downgrade, oracle=_oracle_downgrade)
