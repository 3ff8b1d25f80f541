"""Oracle Database 23ai through python-oracledb: `config` (opening a pool, session setup),
`codecs` (conversions, bind plans, type handlers, rows), `errors` (error translation),
`batches` (chunked executemany), `maintenance` (the vector index), `driver`
(`OracleBackend`)."""

from repo.backends.oracle.driver import DIALECT, MERGE_RETRIES, OracleBackend
from repo.backends.oracle.errors import translate_error

__all__ = ["DIALECT", "MERGE_RETRIES", "OracleBackend", "translate_error"]
