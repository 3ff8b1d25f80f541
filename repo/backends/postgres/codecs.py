"""asyncpg codecs: pgvector's `vector` as `array('f')` and `jsonb`, both binary, registered
once per connection (at connect for memrepo's pools, on first use for an application's)."""

from __future__ import annotations

import json
import struct
import sys
import weakref
from array import array
from collections.abc import Sequence
from typing import Any

import asyncpg

from repo.errors import (
    ConfigurationError,
)
from repo.sql.constructs import PGVECTOR_SCHEMA
from repo.validation.json_objects import JsonObject

_LITTLE_ENDIAN = sys.byteorder == "little"
_VECTOR_HEADER = struct.Struct(">HH")


def encode_vector(value: Sequence[float]) -> bytes:
    """pgvector's binary form: dimension, unused, then big-endian float32s."""
    arr = array("f", value)
    if _LITTLE_ENDIAN:
        arr.byteswap()
    return _VECTOR_HEADER.pack(len(arr), 0) + arr.tobytes()


def decode_vector(data: bytes) -> array[float]:
    """The inverse of `encode_vector`: an `array('f')`, like Oracle's VECTOR fetch."""
    arr = array("f")
    arr.frombytes(memoryview(data)[4:])
    if _LITTLE_ENDIAN:
        arr.byteswap()
    return arr


def encode_jsonb(value: Any) -> bytes:
    """jsonb's binary form: version 1, then the JSON text (a `JsonObject` brings its own,
    serialised once by validation)."""
    if type(value) is JsonObject:
        return b"\x01" + value.utf8
    return b"\x01" + json.dumps(value, separators=(",", ":")).encode()


_JSON_DECODER = json.JSONDecoder()


def decode_jsonb(data: bytes) -> Any:
    """The inverse of `encode_jsonb`. PostgreSQL's jsonb text has no surrounding whitespace
    or trailing data, so `raw_decode` of the str is enough: it skips `json.loads`'s
    encoding detection and whitespace checks, which cost more than the parse (metadata is
    decoded on every unit row read)."""
    return _JSON_DECODER.raw_decode(data[1:].decode())[0]


async def init_connection(conn: asyncpg.Connection) -> None:
    try:
        await conn.set_type_codec(
            "vector",
            schema=PGVECTOR_SCHEMA,
            encoder=encode_vector,
            decoder=decode_vector,
            format="binary",
        )
    except ValueError:  # asyncpg: "unknown type: public.vector"
        raise ConfigurationError(
            f"the pgvector extension is not installed in schema {PGVECTOR_SCHEMA!r} of this"
            f" database: run migrations (open_store(..., run_migrations=True)), or"
            f" CREATE EXTENSION vector SCHEMA {PGVECTOR_SCHEMA} as a database owner"
            f" (ALTER EXTENSION vector SET SCHEMA {PGVECTOR_SCHEMA} if it is elsewhere)"
        ) from None
    await conn.set_type_codec(
        "jsonb", schema="pg_catalog", encoder=encode_jsonb, decoder=decode_jsonb, format="binary"
    )


class CodecRegistry:
    """Connections that already carry memrepo's codecs (held weakly; pool proxies are
    resolved to the connection they lend)."""

    def __init__(self) -> None:
        self._done: weakref.WeakSet[Any] = weakref.WeakSet()

    @staticmethod
    def _raw(conn: Any) -> Any:
        return getattr(conn, "_con", None) or conn

    def __contains__(self, conn: Any) -> bool:
        return self._raw(conn) in self._done

    def add(self, conn: Any) -> None:
        self._done.add(self._raw(conn))


#: Every connection memrepo registered its codecs on, whoever created it.
CODECS = CodecRegistry()
