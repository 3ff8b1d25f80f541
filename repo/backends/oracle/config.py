"""Opening a python-oracledb async pool for a store: pool sizes, connect timeout, dead
peer detection, and the session setup each new session runs (UTC, tenant schema, type
handlers, call timeout)."""

from __future__ import annotations

from typing import Any

import oracledb

from repo.backends.base import validate_schema_name
from repo.backends.oracle.codecs import input_type_handler, output_type_handler
from repo.backends.oracle.errors import DRIVER_ERRORS
from repo.connecting import connect_failure, validate_connect_timeout
from repo.urls import DatabaseURL

#: Minutes between python-oracledb's probes of an idle connection (dead peer detection).
ORACLE_EXPIRE_TIME_MIN = 1


def session_setup_sql(schema: str) -> str:
    """One PL/SQL block for a new session: UTC time zone and the tenant schema.

    `schema` must already be validated (`validate_schema_name`); `public` means the
    connecting user's own schema. Oracle upper-cases unquoted names, so the tenant user
    `t_abc` is the schema "T_ABC".
    """
    stmts = ["ALTER SESSION SET TIME_ZONE = ''+00:00''"]
    if schema != "public":
        stmts.append(f'ALTER SESSION SET CURRENT_SCHEMA = "{schema.upper()}"')
    body = " ".join(f"EXECUTE IMMEDIATE '{s}';" for s in stmts)
    return f"BEGIN {body} END;"


def open_pool(
    url: str,
    *,
    schema: str,
    min_size: int,
    max_size: int,
    statement_timeout_ms: int | None,
    connect_timeout: float,
) -> tuple[Any, DatabaseURL, float]:
    """A pool on `url` whose sessions are set up for `schema` (not yet connected), the
    parsed URL and the connect timeout (see `OracleBackend.connect`)."""
    validate_schema_name(schema)
    timeout = validate_connect_timeout(connect_timeout)
    db = DatabaseURL.parse(url)
    setup = session_setup_sql(schema)
    timeout_ms = int(statement_timeout_ms or 0)

    async def init_session(conn: Any, requested_tag: str | None) -> None:
        conn.inputtypehandler = input_type_handler
        conn.outputtypehandler = output_type_handler
        conn.autocommit = False
        with conn.cursor() as cur:
            await cur.execute(setup)
        conn.call_timeout = timeout_ms

    try:
        pool = oracledb.create_pool_async(
            **db.oracle_connect_params(),
            min=min_size,
            max=max_size,
            increment=1,
            session_callback=init_session,
            tcp_connect_timeout=timeout,
            expire_time=ORACLE_EXPIRE_TIME_MIN,
        )
    except DRIVER_ERRORS as exc:
        raise connect_failure(exc, db, timeout) from exc
    return pool, db, timeout
