"""The schema can be distributed by bank (Citus co-location, Oracle partitioning by bank):
every primary key, unique key and bank-to-bank foreign key includes `bank_id`. Checked on
the metadata, which the drift tests hold equal to the migrated schema."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from schema.tables import metadata

TABLES = metadata.sorted_tables


@pytest.mark.parametrize("table", TABLES, ids=[t.name for t in TABLES])
def test_every_primary_and_unique_key_includes_bank_id(table: sa.Table) -> None:
    assert "bank_id" in table.c, f"{table.name} has no bank_id"
    keys = [
        c for c in table.constraints if isinstance(c, sa.PrimaryKeyConstraint | sa.UniqueConstraint)
    ]
    keys += [i for i in table.indexes if i.unique]
    assert any(isinstance(k, sa.PrimaryKeyConstraint) for k in keys)
    for key in keys:
        assert "bank_id" in {c.name for c in key.columns}, f"{table.name}: {key.name}"


@pytest.mark.parametrize("table", TABLES, ids=[t.name for t in TABLES])
def test_every_foreign_key_includes_bank_id(table: sa.Table) -> None:
    """Co-located tables may reference each other only through the distribution column."""
    for fk in table.foreign_key_constraints:
        local = [c.name for c in fk.columns]
        remote = [e.column.name for e in fk.elements]
        assert "bank_id" in local and local.index("bank_id") == remote.index("bank_id"), (
            f"{table.name}: {fk.name} ({local} -> {fk.referred_table.name} {remote})"
        )
