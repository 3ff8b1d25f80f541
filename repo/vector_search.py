"""The vector index's search knobs (`VectorSearch`): validated pgvector settings, and
Oracle's target accuracy (rendered in the SQL: a statement shape per value, 1-100)."""

from __future__ import annotations

from repo.errors import ConfigurationError, ValidationError
from repo.models import VectorSearch

#: `hnsw.iterative_scan` modes pgvector accepts.
ITERATIVE_SCAN_MODES = ("strict_order", "relaxed_order", "off")


def _int(field: str, value: object, low: int, high: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(field, f"must be an int from {low} to {high}")
    return str(value)


def vector_search_settings(knobs: object, field: str = "vector_search") -> dict[str, str]:
    """pgvector settings (`hnsw.*` name -> value) for `knobs`; only the knobs given.
    A bad knob is a `ValidationError` before any SQL runs."""
    if knobs is None:
        return {}
    if not isinstance(knobs, VectorSearch):
        raise ValidationError(field, "must be a VectorSearch")
    settings: dict[str, str] = {}
    if knobs.ef_search is not None:
        settings["hnsw.ef_search"] = _int(f"{field}.ef_search", knobs.ef_search, 1, 1000)
    if knobs.iterative_scan is not None:
        if knobs.iterative_scan not in ITERATIVE_SCAN_MODES:
            raise ValidationError(f"{field}.iterative_scan", f"one of {ITERATIVE_SCAN_MODES}")
        settings["hnsw.iterative_scan"] = knobs.iterative_scan
    if knobs.max_scan_tuples is not None:
        settings["hnsw.max_scan_tuples"] = _int(
            f"{field}.max_scan_tuples", knobs.max_scan_tuples, 1, 2**31 - 1
        )
    target_accuracy(knobs, field)
    return settings


def target_accuracy(knobs: object, field: str = "vector_search") -> int | None:
    """Oracle's `WITH TARGET ACCURACY` percentage of `knobs` (None: not given); a bad one
    is a `ValidationError` before any SQL runs."""
    if not isinstance(knobs, VectorSearch) or knobs.target_accuracy is None:
        return None
    return int(_int(f"{field}.target_accuracy", knobs.target_accuracy, 1, 100))


def pick_accuracy(call: int | None, store: int | None, supported: bool) -> int | None:
    """The accuracy a search renders: the call's, else the store's; on a backend whose
    SQL takes none (PostgreSQL), asking for one is a `ConfigurationError`."""
    if call is not None and not supported:
        raise ConfigurationError(
            "target_accuracy is an Oracle knob; on PostgreSQL use ef_search (docs/recall.md)"
        )
    return call if call is not None else store
