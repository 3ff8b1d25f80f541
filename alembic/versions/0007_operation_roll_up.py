"""Parent operations roll up from their children: status `waiting` and the counter
`async_operations.unfinished_children`.

A parent submitted with children is `waiting` (never claimed) until its children finish:
completed when all complete, failed as soon as one fails for good. The upgrade brings
the operations already queued under the new rule:

- every operation gets `unfinished_children` (0; for a parent, its children still pending
  or processing);
- a `pending` parent with unfinished children becomes `waiting`;
- a `pending` parent whose children are all finished is rolled up at once: `failed`
  ("a child operation failed") if one of them failed, else `completed`;
- parents a worker holds (`processing`) and finished ones are left as they are.

The status check gains `waiting`, and `unfinished_children >= 0` is checked. The
downgrade returns waiting parents to `pending` (claimable, as before 0007) and drops the
column and the new check. Both dialects run the same statements; on Oracle (DDL commits
itself) each DDL statement skips work a failed earlier run already did, and the data
statements are idempotent.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 03:15:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from repo.migrations import run_for_dialect

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_T = "async_operations"
_STATUS_BEFORE = "status IN ('pending', 'processing', 'completed', 'failed')"
_STATUS_AFTER = "status IN ('pending', 'processing', 'completed', 'failed', 'waiting')"
_CHILDREN = f"FROM {_T} c WHERE c.bank_id = {_T}.bank_id AND c.parent_id = {_T}.id"
_HAS_CHILDREN = f"EXISTS (SELECT 1 {_CHILDREN})"

UPGRADE_DDL = (
    f"ALTER TABLE {_T} ADD unfinished_children INTEGER DEFAULT 0 NOT NULL",
    f"ALTER TABLE {_T} DROP CONSTRAINT ck_{_T}_status",
    f"ALTER TABLE {_T} ADD CONSTRAINT ck_{_T}_status CHECK ({_STATUS_AFTER})",
    f"ALTER TABLE {_T} ADD CONSTRAINT ck_{_T}_unfinished_children CHECK (unfinished_children >= 0)",
)
UPGRADE_DATA = (
    f"UPDATE {_T} SET unfinished_children = (SELECT COUNT(*) {_CHILDREN}"
    " AND c.status IN ('pending', 'processing'))"
    f" WHERE status = 'pending' AND {_HAS_CHILDREN}",
    f"UPDATE {_T} SET status = 'waiting', claimed_by = NULL"
    f" WHERE status = 'pending' AND unfinished_children > 0 AND {_HAS_CHILDREN}",
    f"UPDATE {_T} SET status = CASE WHEN EXISTS (SELECT 1 {_CHILDREN} AND c.status = 'failed')"
    " THEN 'failed' ELSE 'completed' END,"
    f" error_message = CASE WHEN EXISTS (SELECT 1 {_CHILDREN} AND c.status = 'failed')"
    " THEN 'a child operation failed' ELSE error_message END,"
    " claimed_by = NULL, completed_at = CURRENT_TIMESTAMP, updated_at = CURRENT_TIMESTAMP"
    f" WHERE status = 'pending' AND {_HAS_CHILDREN}",
)
DOWNGRADE_DATA = (f"UPDATE {_T} SET status = 'pending' WHERE status = 'waiting'",)
DOWNGRADE_DDL = (
    f"ALTER TABLE {_T} DROP CONSTRAINT ck_{_T}_unfinished_children",
    f"ALTER TABLE {_T} DROP CONSTRAINT ck_{_T}_status",
    f"ALTER TABLE {_T} ADD CONSTRAINT ck_{_T}_status CHECK ({_STATUS_BEFORE})",
    f"ALTER TABLE {_T} DROP COLUMN unfinished_children",
)

#: Oracle errors a resumed run meets for work already done: ORA-01430 (column already
#: exists), ORA-02443 (no such constraint), ORA-02264 (constraint name already used),
#: ORA-00904 (no such column).
ORACLE_ALREADY_DONE = (1430, 2443, 2264, 904)


def _oracle_ddl(sql: str) -> str:
    """`sql` in a PL/SQL block that skips work a failed earlier run already did."""
    codes = ", ".join(f"-{c}" for c in ORACLE_ALREADY_DONE)
    return (
        f"BEGIN EXECUTE IMMEDIATE '{sql.replace(chr(39), chr(39) * 2)}'; "
        f"EXCEPTION WHEN OTHERS THEN IF SQLCODE NOT IN ({codes}) THEN RAISE; END IF; END;"
    )


def _pg_upgrade() -> None:
    for sql in (*UPGRADE_DDL, *UPGRADE_DATA):
        op.execute(sql)


def _pg_downgrade() -> None:
    for sql in (*DOWNGRADE_DATA, *DOWNGRADE_DDL):
        op.execute(sql)


def _oracle_upgrade() -> None:
    for sql in UPGRADE_DDL:
        op.execute(_oracle_ddl(sql))
    for sql in UPGRADE_DATA:
        op.execute(sql)


def _oracle_downgrade() -> None:
    for sql in DOWNGRADE_DATA:
        op.execute(sql)
    for sql in DOWNGRADE_DDL:
        op.execute(_oracle_ddl(sql))


def upgrade() -> None:
    run_for_dialect(pg=_pg_upgrade, oracle=_oracle_upgrade)


def downgrade() -> None:
    run_for_dialect(pg=_pg_downgrade, oracle=_oracle_downgrade)
