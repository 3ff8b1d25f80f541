"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from repo.migrations import run_for_dialect

revision: str = ${repr(up_revision)}
down_revision: str | Sequence[str] | None = ${repr(down_revision)}
branch_labels: str | Sequence[str] | None = ${repr(branch_labels)}
depends_on: str | Sequence[str] | None = ${repr(depends_on)}


def _pg_upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def _pg_downgrade() -> None:
    ${downgrades if downgrades else "pass"}


def _oracle_upgrade() -> None:
    raise NotImplementedError("write the Oracle half of this revision (or pass None below)")


def _oracle_downgrade() -> None:
    raise NotImplementedError("write the Oracle half of this revision (or pass None below)")


def upgrade() -> None:
    run_for_dialect(pg=_pg_upgrade, oracle=_oracle_upgrade)


def downgrade() -> None:
    run_for_dialect(pg=_pg_downgrade, oracle=_oracle_downgrade)
