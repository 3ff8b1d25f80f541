"""Opening an asyncpg pool for a store: pool sizes, connect timeout, where the session
settings go (startup packet, or per transaction behind a transaction pooler) and the
prepared-statement cache; a failure to connect becomes a typed memrepo error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from repo.backends.postgres.codecs import init_connection
from repo.backends.postgres.release import reset_unless_clean
from repo.backends.postgres.session import Apply, store_settings
from repo.connecting import connect_failure, validate_connect_timeout
from repo.urls import DatabaseURL


async def open_pool(
    url: str,
    *,
    schema: str,
    min_size: int,
    max_size: int,
    statement_timeout_ms: int | None,
    server_settings: Mapping[str, str] | None,
    connect_timeout: float,
    settings_per_transaction: bool,
    statement_cache_size: int | None,
) -> tuple[asyncpg.Pool, dict[str, str], Apply]:
    """A pool on `url` with memrepo's codecs, its session settings, and where they apply
    (see `PostgresBackend.connect`)."""
    settings = store_settings(schema, statement_timeout_ms)
    settings.update(server_settings or {})
    timeout = validate_connect_timeout(connect_timeout)
    options: dict[str, Any] = {}
    if statement_cache_size is not None:
        options["statement_cache_size"] = statement_cache_size
    try:
        pool = await asyncpg.create_pool(
            url,
            min_size=min_size,
            max_size=max_size,
            init=init_connection,
            reset=reset_unless_clean,  # no reset query after memrepo's clean use
            server_settings=None if settings_per_transaction else settings,
            timeout=timeout,  # each new connection's connect timeout
            **options,
        )
    except Exception as exc:
        # Wrong password, unknown database, refused, no answer, no pgvector...
        raise connect_failure(exc, DatabaseURL.parse(url), timeout) from exc
    apply = Apply.TRANSACTION if settings_per_transaction else Apply.STARTUP
    return pool, settings, apply
