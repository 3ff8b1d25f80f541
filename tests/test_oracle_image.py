"""The Oracle test image's setup: the init script fails loudly, and the providers' feature
checks (Oracle Text, VECTOR) give a reason that says what to change.

No Oracle server runs here. The init script runs under bash with a fake `sqlplus` on PATH
that records its input and exits with a chosen status, which is all the script relies on
(sqlplus's exit status under `WHENEVER SQLERROR EXIT FAILURE`). The feature checks run
against a fake DB-API connection answering each check query.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.oracle_features import FEATURE_CHECKS, missing_oracle_features
from tests.providers import ORACLE_INIT_SCRIPT

BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="bash is needed to run the init script")


def _run_init(tmp_path: Path, sqlplus_status: int, *, sourced: bool) -> tuple[int, str, Path]:
    """Run the init script as the gvenzl entrypoint would; (status, output, marker path)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "sqlplus"
    fake.write_text(
        f'#!/bin/bash\ncat > "{tmp_path}/sqlplus.in"\nexit {sqlplus_status}\n', encoding="utf-8"
    )
    fake.chmod(0o755)
    (tmp_path / "oradata").mkdir()
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "ORACLE_BASE": str(tmp_path)}
    if sourced:  # the entrypoint sources non-executable *.sh files under `set -Eeuo pipefail`
        command = f'set -Eeuo pipefail; . "{ORACLE_INIT_SCRIPT}"; echo "DATABASE IS READY TO USE!"'
    else:  # executable *.sh files are run as a child, then the entrypoint goes on
        command = f'set -Eeuo pipefail; "{ORACLE_INIT_SCRIPT}"; echo "DATABASE IS READY TO USE!"'
    assert BASH is not None
    proc = subprocess.run(
        [BASH, "-c", command], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    return proc.returncode, proc.stdout + proc.stderr, tmp_path / "oradata" / ".memrepo-init-done"


@pytest.mark.parametrize("sourced", [False, True], ids=["executed", "sourced"])
def test_init_script_failure_stops_the_entrypoint(tmp_path: Path, sourced: bool) -> None:
    status, output, marker = _run_init(tmp_path, 1, sourced=sourced)
    assert status != 0
    assert "DATABASE IS READY TO USE!" not in output
    assert "memrepo: FAILED" in output
    assert not marker.exists(), "the healthcheck marker was written after a failure"


@pytest.mark.parametrize("sourced", [False, True], ids=["executed", "sourced"])
def test_init_script_success_writes_the_marker(tmp_path: Path, sourced: bool) -> None:
    status, output, marker = _run_init(tmp_path, 0, sourced=sourced)
    assert status == 0, output
    assert "DATABASE IS READY TO USE!" in output and marker.exists()


def test_init_script_checks_before_granting_and_exits_on_any_error(tmp_path: Path) -> None:
    _run_init(tmp_path, 0, sourced=False)
    sql = (tmp_path / "sqlplus.in").read_text(encoding="utf-8")
    # SQL.SQLCODE would reach the shell modulo 256 (ORA-01536 -> 0): FAILURE is always 1.
    assert sql.startswith("WHENEVER SQLERROR EXIT FAILURE")
    assert "WHENEVER OSERROR EXIT FAILURE" in sql and "SQL.SQLCODE" not in sql
    checks = sql.index("FROM dba_indextypes")
    assert sql.index("username = 'CTXSYS'") < checks < sql.index("GRANT CTXAPP")
    assert "VECTOR_DISTANCE" in sql[: sql.index("GRANT CTXAPP")]
    assert "GRANT EXECUTE ON SYS.DBMS_LOCK" in sql  # the migrators' lock (repo/migrations.py)


# --------------------------------------------------------------------------- feature checks


class _Cursor:
    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.value: Any = None

    def execute(self, sql: str) -> None:
        answer = next(v for k, v in self.answers.items() if k in sql)
        if isinstance(answer, Exception):
            raise answer
        self.value = answer

    def fetchone(self) -> tuple[Any, ...]:
        return (self.value,)

    def close(self) -> None:
        pass


class _Connection:
    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.closed = False

    def cursor(self) -> _Cursor:
        return _Cursor(self.answers)

    def close(self) -> None:
        self.closed = True


def _answers(**overrides: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {"all_users": 1, "all_indextypes": 1, "VECTOR_DISTANCE": 2.0}
    answers.update(overrides)
    return answers


def test_full_image_passes_the_feature_checks() -> None:
    conn = _Connection(_answers())
    assert missing_oracle_features("oracle://u:p@h:1521/S", connect=lambda url: conn) == []
    assert conn.closed and len(FEATURE_CHECKS) == 3


def test_slim_image_is_reported_with_the_image_to_use() -> None:
    conn = _Connection(_answers(all_users=0, all_indextypes=0))
    problems = missing_oracle_features("oracle://u:p@h:1521/S", connect=lambda url: conn)
    assert len(problems) == 2
    assert problems[0].startswith("Oracle Text (user CTXSYS): Oracle Text is not installed")
    assert all("gvenzl/oracle-free:23 or 23-full" in p for p in problems)


def test_server_without_vector_is_reported() -> None:
    error = RuntimeError('ORA-00904: "VECTOR_DISTANCE": invalid identifier')
    conn = _Connection(_answers(VECTOR_DISTANCE=error))
    (problem,) = missing_oracle_features("oracle://u:p@h:1521/S", connect=lambda url: conn)
    assert problem.startswith("VECTOR (Oracle Database 23ai)") and "ORA-00904" in problem
