"""Golden SQL files: every registered statement compiled for each dialect, and the offline
(`alembic upgrade head --sql`) migration scripts.

Regenerate them all after an intended SQL change with::

    PYTHONPATH=. python -m tests.golden

(`tests/golden/__main__.py` calls `main()` here.) `tests/test_golden.py` fails, with a diff,
whenever the compiled SQL and the files disagree, so every SQL change is reviewed as a diff
of these files.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from sqlalchemy.dialects.oracle.oracledb import OracleDialect_oracledb
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine.interfaces import Dialect

import repo.backends.oracle.maintenance
import repo.store  # noqa: F401  (imports every repository, which registers its statements)
from repo.migrations import alembic_config
from repo.sql import REGISTRY, Statement

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
REGEN_COMMAND = "PYTHONPATH=. python -m tests.golden"

DIALECTS: dict[str, Dialect] = {
    "postgresql": PGDialect_asyncpg(),  # type: ignore[no-untyped-call]
    "oracle": OracleDialect_oracledb(),  # type: ignore[no-untyped-call]
}
#: Placeholder URLs for offline migration scripts (nothing connects to them).
OFFLINE_URLS = {
    "postgresql": "postgresql://memrepo@localhost:5432/memrepo",
    "oracle": "oracle://memrepo@localhost:1521/FREEPDB1",
}
MIGRATION_SCRIPTS = {"upgrade": ("upgrade", "head"), "downgrade": ("downgrade", "head:base")}

_UNSAFE = re.compile(r"[^A-Za-z0-9._=,\[\]-]+")


def golden_filename(statement_name: str) -> str:
    """A file name for a statement name (shape labels contain quotes, spaces, parens)."""
    return _UNSAFE.sub("_", statement_name).strip("_") + ".sql"


def statement_sql(stmt: Statement, dialect: str) -> str:
    """The golden file body of one statement for one dialect."""
    compiled = stmt.compiled(DIALECTS[dialect])
    params = ", ".join(compiled.params) or "(none)"
    return f"-- {stmt.name} [{dialect}]\n-- params: {params}\n{compiled.sql}\n"


def statement_goldens() -> Iterator[tuple[Path, str]]:
    """(path, expected content) for every statement and dialect it compiles for."""
    for stmt in REGISTRY.all_statements():
        for dialect in DIALECTS:
            if stmt.only is not None and stmt.only != dialect:
                continue
            path = GOLDEN_DIR / dialect / golden_filename(stmt.name)
            yield path, statement_sql(stmt, dialect)


def migration_sql(dialect: str, script: str) -> str:
    """The offline migration script (`upgrade` to head, `downgrade` from head to base)."""
    verb, revision = MIGRATION_SCRIPTS[script]
    buffer = io.StringIO()
    cfg = alembic_config(OFFLINE_URLS[dialect])
    cfg.output_buffer = buffer
    with contextlib.redirect_stdout(buffer):
        getattr(command, verb)(cfg, revision, sql=True)
    return buffer.getvalue()


def migration_goldens() -> Iterator[tuple[Path, str]]:
    for dialect in DIALECTS:
        for script in MIGRATION_SCRIPTS:
            yield (
                GOLDEN_DIR / dialect / "migrations" / f"{script}.sql",
                migration_sql(dialect, script),
            )


def all_goldens() -> dict[Path, str]:
    """Every golden file this tool writes, with its expected content."""
    goldens: dict[Path, str] = {}
    for path, content in (*statement_goldens(), *migration_goldens()):
        if path in goldens:
            raise ValueError(f"two goldens map to {path}")
        goldens[path] = content
    return goldens


def main() -> int:
    """Rewrite every golden file (and remove orphaned ones)."""
    goldens = all_goldens()
    for dialect in DIALECTS:
        shutil.rmtree(GOLDEN_DIR / dialect, ignore_errors=True)
    for path, content in goldens.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    print(f"wrote {len(goldens)} golden files under {GOLDEN_DIR}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
