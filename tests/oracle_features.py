"""What an Oracle test database must offer memrepo's schema, checked before the suite uses it.

The schema needs Oracle Text (the `CTXSYS.CONTEXT` indextype of the full-text index) and
the `VECTOR` type (Oracle Database 23ai). gvenzl/oracle-free's `-slim` flavours uninstall
Oracle Text, so a server can answer and still be unable to run the first migration. The
providers (tests/providers.py) call `check_oracle_features` on every Oracle they hand out;
a missing feature becomes `Unavailable` with a reason that says what to change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: (what is checked, SQL returning one number, the value that means "present", the fix).
FEATURE_CHECKS: tuple[tuple[str, str, float, str], ...] = (
    (
        "Oracle Text (user CTXSYS)",
        "SELECT COUNT(*) FROM all_users WHERE username = 'CTXSYS'",
        1,
        "Oracle Text is not installed; gvenzl/oracle-free's -slim flavours remove it: "
        "use gvenzl/oracle-free:23 or 23-full",
    ),
    (
        "Oracle Text (indextype CTXSYS.CONTEXT)",
        "SELECT COUNT(*) FROM all_indextypes WHERE owner = 'CTXSYS' AND indextype_name = 'CONTEXT'",
        1,
        "the CTXSYS.CONTEXT indextype is not visible to the test user: install Oracle Text "
        "(gvenzl/oracle-free:23 or 23-full)",
    ),
    (
        "VECTOR (Oracle Database 23ai)",
        "SELECT VECTOR_DISTANCE(TO_VECTOR('[1,2,3]'), TO_VECTOR('[1,2,5]'), EUCLIDEAN) FROM dual",
        2,
        "the server has no VECTOR type: Oracle Database 23ai is needed",
    ),
)

Connect = Callable[[str], Any]


def _connect(url: str) -> Any:
    import oracledb

    from repo.urls import oracle_connect_params

    return oracledb.connect(**oracle_connect_params(url), tcp_connect_timeout=10)


def missing_oracle_features(url: str, connect: Connect = _connect) -> list[str]:
    """Why the Oracle behind `url` cannot run memrepo's schema ([] when it can).

    `connect(url)` returns a DB-API connection (python-oracledb's by default). A check whose
    query fails (e.g. ORA-00904 for VECTOR_DISTANCE on a pre-23ai server) counts as missing.
    """
    problems: list[str] = []
    conn = connect(url)
    try:
        for what, sql, expected, fix in FEATURE_CHECKS:
            cursor = conn.cursor()
            try:
                cursor.execute(sql)
                row = cursor.fetchone()
            except Exception as exc:
                problems.append(f"{what}: {fix} ({type(exc).__name__}: {exc})")
                continue
            finally:
                cursor.close()
            value = None if row is None else row[0]
            if value is None or float(value) != expected:
                problems.append(f"{what}: {fix} (the check returned {value!r})")
    finally:
        conn.close()
    return problems
