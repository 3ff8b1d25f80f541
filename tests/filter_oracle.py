"""An independent Python reading of `RecallFilter` (from its docstring), to check the SQL."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from repo.models import RecallFilter, TimeWindow


def _in_window(value: datetime | None, window: TimeWindow) -> bool:
    if value is None:
        return False
    if window.start is not None and value < window.start:
        return False
    return not (window.end is not None and value >= window.end)


def _same_json_scalar(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    return type(a) is type(b) and a == b


def _tags_pass(f: RecallFilter, tags: set[str]) -> bool:
    conditions = f.tags is not None or f.exclude_tags is not None or f.tag_groups is not None
    if not tags:
        return f.untagged == "include" if conditions else f.untagged != "exclude"
    if f.tags is not None:
        wanted = set(f.tags)
        if f.tags_match == "any" and not tags & wanted:
            return False
        if f.tags_match == "all" and not wanted <= tags:
            return False
        if f.tags_match == "exact" and tags != wanted:
            return False
    if f.exclude_tags is not None and tags & set(f.exclude_tags):
        return False
    return all(bool(tags & set(g.tags)) != g.negate for g in f.tag_groups or ())


def passes(f: RecallFilter | None, row: Mapping[str, Any]) -> bool:
    """Whether a unit row passes every row condition of `f` (not the score floors)."""
    if f is None:
        return True
    if not _tags_pass(f, set(row["tags"] or ())):
        return False
    for name in ("event_date", "mentioned_at", "created_at", "updated_at"):
        window = getattr(f, name)
        if window is not None and not _in_window(row[name], window):
            return False
    if f.occurred is not None:
        # The unit's closed range [start, last]: an open end, or one before the start, is
        # the start. An empty window (end <= start) overlaps nothing.
        start = row["occurred_start"]
        if start is None:
            return False
        end = max(start, row["occurred_end"] or start)
        window = f.occurred
        if window.start is not None and window.end is not None and window.end <= window.start:
            return False
        if f.occurred.start is not None and end < f.occurred.start:
            return False
        if f.occurred.end is not None and start >= f.occurred.end:
            return False
    if f.document_ids is not None and row["document_id"] not in set(f.document_ids):
        return False
    if f.metadata is not None:
        meta = row["metadata"] or {}
        for key, value in f.metadata.items():
            if key not in meta or not _same_json_scalar(meta[key], value):
                return False
    return True
