"""Tenant schemas on Oracle for the test matrix (used by tests/tenants.py).

A tenant schema is an Oracle user that nobody logs in as (no CREATE SESSION). The
application user (the one in the test URL) works in it through `CURRENT_SCHEMA` and
Oracle 23ai schema privileges (`GRANT <privilege> ON SCHEMA <tenant> TO <app>`), so it
needs no database-wide ANY privileges. Users are created and dropped through an admin
connection:

1. an admin URL registered for the app URL (`register_admin_url`, e.g. from a
   Testcontainers provider's `Provider.admin_url`), else
2. `$MEMREPO_TEST_ORACLE_ADMIN_URL` (tests/providers.py's ENV_ORACLE_ADMIN_URL), e.g.
   `oracle://system:<password>@host:1521/FREEPDB1`.
"""

from __future__ import annotations

import os
import secrets

import oracledb

from repo.backends.base import validate_schema_name
from repo.urls import oracle_connect_params
from tests.providers import ENV_ORACLE_ADMIN_URL

_ADMIN_URLS: dict[str, str] = {}

#: The tenant user's own privileges: the objects the migrations create in its schema are
#: owned by it, and Oracle Text / vector indexes create their internal tables there.
TENANT_PRIVILEGES = (
    "CREATE TABLE", "CREATE SEQUENCE", "CREATE VIEW", "CREATE PROCEDURE",
    "CREATE TRIGGER", "CREATE TYPE", "CTXAPP",
)  # fmt: skip
#: What the application user may do in the tenant schema (migrations and queries).
SCHEMA_PRIVILEGES = (
    "CREATE ANY TABLE", "ALTER ANY TABLE", "DROP ANY TABLE", "SELECT ANY TABLE",
    "INSERT ANY TABLE", "UPDATE ANY TABLE", "DELETE ANY TABLE", "LOCK ANY TABLE",
    "CREATE ANY INDEX", "ALTER ANY INDEX", "DROP ANY INDEX",
)  # fmt: skip

#: ORA-01918: user does not exist; ORA-01920: user name conflicts with another user or role.
_NO_SUCH_USER = 1918
_USER_EXISTS = 1920


def register_admin_url(url: str, admin_url: str) -> None:
    """Use `admin_url` to manage tenant users of the database behind `url`."""
    _ADMIN_URLS[url] = admin_url


def admin_url_for(url: str) -> str:
    """The privileged URL for the database behind `url` (see module doc)."""
    admin = _ADMIN_URLS.get(url) or os.environ.get(ENV_ORACLE_ADMIN_URL, "").strip()
    if not admin:
        raise RuntimeError(
            "Oracle tenant schemas need an admin connection: set "
            f"{ENV_ORACLE_ADMIN_URL}=oracle://system:<password>@host:1521/FREEPDB1 "
            "(or register the provider's admin URL with tests.oracle_tenants.register_admin_url)"
        )
    return admin


def tenant_user(schema: str) -> str:
    """The Oracle user (schema) name of a tenant: upper-case, as unquoted names resolve."""
    return validate_schema_name(schema).upper()


def create_tenant_sql(schema: str, app_user: str, password: str) -> list[str]:
    """The statements that create tenant `schema` for `app_user` (validated names only)."""
    user = tenant_user(schema)
    app = app_user.upper()
    if not app.replace("_", "").replace("$", "").replace("#", "").isalnum():
        raise ValueError(f"unexpected application user name {app_user!r}")
    if '"' in password:
        raise ValueError("password must not contain a double quote")
    statements = [
        f'CREATE USER "{user}" IDENTIFIED BY "{password}" '
        "DEFAULT TABLESPACE users QUOTA UNLIMITED ON users",
        f'GRANT {", ".join(TENANT_PRIVILEGES)} TO "{user}"',
        f'GRANT EXECUTE ON CTXSYS.CTX_DDL TO "{user}"',
    ]
    statements += [f'GRANT {p} ON SCHEMA "{user}" TO "{app}"' for p in SCHEMA_PRIVILEGES]
    return statements


def drop_tenant_sql(schema: str) -> str:
    return f'DROP USER "{tenant_user(schema)}" CASCADE'


async def _run_as_admin(url: str, statements: list[str], *, ignore: frozenset[int]) -> None:
    conn = await oracledb.connect_async(**oracle_connect_params(admin_url_for(url)))
    try:
        with conn.cursor() as cur:
            for statement in statements:
                try:
                    await cur.execute(statement)
                except oracledb.DatabaseError as exc:
                    if getattr(exc.args[0], "code", None) not in ignore:
                        raise
    finally:
        await conn.close()


async def create_oracle_schema(url: str, schema: str) -> None:
    """Create tenant `schema` (an Oracle user) usable by the user of `url`; idempotent."""
    app_user = oracle_connect_params(url).get("user", "")
    if schema == "public" or tenant_user(schema) == app_user.upper():
        return  # the application user's own schema
    password = "T" + secrets.token_hex(15)
    statements = create_tenant_sql(schema, app_user, password)
    await _run_as_admin(url, statements[:1], ignore=frozenset({_USER_EXISTS}))
    await _run_as_admin(url, statements[1:], ignore=frozenset())


async def drop_oracle_schema(url: str, schema: str) -> None:
    """Drop tenant `schema` and everything in it (a no-op if it does not exist)."""
    if schema == "public":
        return
    await _run_as_admin(url, [drop_tenant_sql(schema)], ignore=frozenset({_NO_SUCH_USER}))
