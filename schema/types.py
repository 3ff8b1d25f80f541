"""Portable column types: one SQLAlchemy type each, correct on PostgreSQL and Oracle 23ai.

SQLAlchemy's defaults are wrong for Oracle in several places (`DateTime(timezone=True)`
is DATE, `Uuid` is CHAR(32), `Text` is CLOB); every type here names its Oracle form.
Values are converted by the backends' driver codecs, never by SQLAlchemy at run time.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pgvector.sqlalchemy import VECTOR as PG_VECTOR
from sqlalchemy.dialects import oracle, postgresql

DEFAULT_EMBEDDING_DIM = 384

#: Longest identifier-like string (bank ids, document ids, names) in characters.
ID_LENGTH = 255


def uuid_type() -> sa.types.TypeEngine[Any]:
    """UUID on PostgreSQL, RAW(16) on Oracle (the backend converts uuid.UUID <-> bytes)."""
    return sa.Uuid(as_uuid=True).with_variant(oracle.RAW(16), "oracle")


def embedding_type(dim: int = DEFAULT_EMBEDDING_DIM) -> sa.types.TypeEngine[Any]:
    """pgvector `vector(dim)` on PostgreSQL, `VECTOR(dim, FLOAT32)` on Oracle."""
    pg: sa.types.TypeEngine[Any] = PG_VECTOR(dim)
    ora = oracle.VECTOR(dim, oracle.VectorStorageFormat.FLOAT32)  # type: ignore[no-untyped-call]
    return pg.with_variant(ora, "oracle")


def json_type() -> sa.types.TypeEngine[Any]:
    """JSONB on PostgreSQL, native JSON on Oracle 23ai."""
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def timestamp_type() -> sa.types.TypeEngine[Any]:
    """`timestamptz` on PostgreSQL, `TIMESTAMP WITH TIME ZONE` on Oracle (not DATE)."""
    return sa.DateTime(timezone=True).with_variant(oracle.TIMESTAMP(timezone=True), "oracle")


def text_list_type() -> sa.types.TypeEngine[Any]:
    """`text[]` on PostgreSQL, a JSON array on Oracle."""
    return postgresql.ARRAY(sa.Text()).with_variant(sa.JSON(), "oracle")


def uuid_list_type() -> sa.types.TypeEngine[Any]:
    """`uuid[]` on PostgreSQL, a JSON array on Oracle (where a junction table is used instead)."""
    return postgresql.ARRAY(sa.Uuid(as_uuid=True)).with_variant(sa.JSON(), "oracle")


def short_text(length: int = ID_LENGTH) -> sa.types.TypeEngine[str]:
    """Comparable, indexable text: `varchar(n)` / `VARCHAR2(n CHAR)`."""
    return sa.String(length)


def long_text() -> sa.types.TypeEngine[str]:
    """Unbounded text: `text` on PostgreSQL, `CLOB` on Oracle (never compared or indexed there
    except through Oracle Text)."""
    return sa.Text()
