"""Dialect-divergent SQL constructs and the compiled-statement cache."""

from repo.sql.array_upsert import array_upsert
from repo.sql.cache import (
    REGISTRY,
    CompiledSQL,
    Statement,
    StatementFamily,
    compile_count,
    flag_shapes,
)
from repo.sql.constructs import (
    cosine_distance,
    in_texts,
    in_uuids,
    incoming,
    tags_overlap,
    text_match,
    upsert,
)

__all__ = [
    "REGISTRY",
    "CompiledSQL",
    "Statement",
    "StatementFamily",
    "array_upsert",
    "compile_count",
    "cosine_distance",
    "flag_shapes",
    "in_texts",
    "in_uuids",
    "incoming",
    "tags_overlap",
    "text_match",
    "upsert",
]
