"""PostgreSQL through asyncpg: `config` (opening a pool), `codecs` (vector, jsonb),
`session` (where the session settings apply), `errors` (error translation, lost
connections), `transactions` (the connection a call runs on, transactions, `using`),
`one_connection` (a connection held for a block of calls), `routing` (read replicas),
`driver` (`PostgresBackend`)."""

from repo.backends.postgres.codecs import (
    decode_jsonb,
    decode_vector,
    encode_jsonb,
    encode_vector,
    init_connection,
)
from repo.backends.postgres.driver import DIALECT, PostgresBackend
from repo.backends.postgres.errors import translate_error
from repo.backends.postgres.routing import ReplicaFallbackWarning

__all__ = [
    "DIALECT",
    "PostgresBackend",
    "ReplicaFallbackWarning",
    "decode_jsonb",
    "decode_vector",
    "encode_jsonb",
    "encode_vector",
    "init_connection",
    "translate_error",
]
