"""A `RecallFilter` checked and turned into its statement shape and bind values.

Every check runs before any SQL: a bad filter is a `ValidationError` and nothing is sent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from repo.errors import ValidationError
from repo.models import RecallFilter, TimeWindow
from repo.sql.filters import NO_FILTER, TAG_MODES, TIME_FIELDS, UNTAGGED_CHOICES, FilterShape
from repo.validation.scalars import check_datetime
from repo.validation.text import check_id, check_text
from schema.types import ID_LENGTH

#: Most tags in one filter (over the tag list, exclusions and every group together).
MAX_FILTER_TAGS = 100
#: Most tag groups in one filter.
MAX_TAG_GROUPS = 8
#: Most document ids in one filter.
MAX_FILTER_DOCUMENTS = 1000
#: Most metadata pairs in one filter.
MAX_METADATA_PAIRS = 16


def _tag_list(field: str, values: object) -> list[str]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise ValidationError(field, "expected a sequence of strings")
    tags = list(dict.fromkeys(check_text(field, v, max_length=ID_LENGTH) for v in values))
    if not tags:
        raise ValidationError(field, "must not be empty")
    return tags


def _window(field: str, window: object) -> tuple[Any, Any]:
    if not isinstance(window, TimeWindow):
        raise ValidationError(field, f"expected a TimeWindow, got {type(window).__name__}")
    start = None if window.start is None else check_datetime(f"{field}.start", window.start)
    end = None if window.end is None else check_datetime(f"{field}.end", window.end)
    if start is None and end is None:
        raise ValidationError(field, "needs a start or an end")
    if start is not None and end is not None and end < start:
        raise ValidationError(field, "ends before it starts")
    return start, end


def _floor(field: str, value: object, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(field, "expected a number")
    number = float(value)
    if not (math.isfinite(number) and low <= number <= high):
        raise ValidationError(field, f"must be between {low} and {high}")
    return number


def _metadata(field: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict) and not hasattr(value, "items"):
        raise ValidationError(field, "expected a mapping")
    pairs: dict[str, Any] = {}
    for key, item in value.items():  # type: ignore[attr-defined]
        key = check_text(f"{field} key", key, max_length=ID_LENGTH)
        if isinstance(item, str):
            item = check_text(f"{field}[{key!r}]", item, max_length=4000)
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValidationError(f"{field}[{key!r}]", "must be finite")
        elif not isinstance(item, bool | int | float):
            raise ValidationError(
                f"{field}[{key!r}]",
                f"expected a scalar (str, int, float, bool), got {type(item).__name__}",
            )
        pairs[key] = item
    if not pairs:
        raise ValidationError(field, "must not be empty")
    if len(pairs) > MAX_METADATA_PAIRS:
        raise ValidationError(field, f"more than {MAX_METADATA_PAIRS} pairs")
    return pairs


def bind_filter(
    f: RecallFilter | None, field: str = "filter"
) -> tuple[FilterShape, dict[str, Any]]:
    """The statement shape of `f` and its bind values (`f_*`); `f=None` filters nothing."""
    if f is None:
        return NO_FILTER, {}
    if not isinstance(f, RecallFilter):
        raise ValidationError(field, f"expected a RecallFilter, got {type(f).__name__}")
    params: dict[str, Any] = {}
    n_tags = 0
    tags_match = None
    if f.tags_match not in TAG_MODES:
        raise ValidationError(f"{field}.tags_match", f"unknown mode {f.tags_match!r:.40}; "
                              f"expected one of {TAG_MODES}")  # fmt: skip
    if f.untagged not in UNTAGGED_CHOICES:
        raise ValidationError(f"{field}.untagged", f"unknown choice {f.untagged!r:.40}; "
                              f"expected one of {UNTAGGED_CHOICES}")  # fmt: skip
    if f.tags is not None:
        params["f_tags"] = _tag_list(f"{field}.tags", f.tags)
        n_tags += len(params["f_tags"])
        tags_match = f.tags_match
    if f.exclude_tags is not None:
        params["f_exclude_tags"] = _tag_list(f"{field}.exclude_tags", f.exclude_tags)
        n_tags += len(params["f_exclude_tags"])
    groups: list[bool] = []
    if f.tag_groups is not None:
        if isinstance(f.tag_groups, str | bytes) or not isinstance(f.tag_groups, Sequence):
            raise ValidationError(f"{field}.tag_groups", "expected a sequence of TagGroup")
        if not f.tag_groups:
            raise ValidationError(f"{field}.tag_groups", "must not be empty")
        if len(f.tag_groups) > MAX_TAG_GROUPS:
            raise ValidationError(f"{field}.tag_groups", f"more than {MAX_TAG_GROUPS} groups")
        for i, group in enumerate(f.tag_groups):
            name = f"{field}.tag_groups[{i}]"
            tags = getattr(group, "tags", None)
            negate = getattr(group, "negate", None)
            if tags is None or not isinstance(negate, bool):
                raise ValidationError(name, "expected a TagGroup")
            params[f"f_group_{i}"] = _tag_list(name, tags)
            n_tags += len(params[f"f_group_{i}"])
            groups.append(negate)
    if n_tags > MAX_FILTER_TAGS:
        raise ValidationError(f"{field}.tags", f"more than {MAX_FILTER_TAGS} tags in one filter")
    windows = []
    for name in TIME_FIELDS:
        window = getattr(f, name)
        if window is None:
            continue
        start, end = _window(f"{field}.{name}", window)
        if start is not None:
            params[f"f_{name}_start"] = start
        if end is not None:
            params[f"f_{name}_end"] = end
        windows.append((name, start is not None, end is not None))
    if f.document_ids is not None:
        if isinstance(f.document_ids, str | bytes) or not isinstance(f.document_ids, Sequence):
            raise ValidationError(f"{field}.document_ids", "expected a sequence of ids")
        docs = list(dict.fromkeys(check_id(f"{field}.document_ids", d) for d in f.document_ids))
        if not docs:
            raise ValidationError(f"{field}.document_ids", "must not be empty")
        if len(docs) > MAX_FILTER_DOCUMENTS:
            raise ValidationError(f"{field}.document_ids", f"more than {MAX_FILTER_DOCUMENTS}")
        params["f_document_ids"] = docs
    if f.metadata is not None:
        params["f_metadata"] = _metadata(f"{field}.metadata", f.metadata)
    if f.min_similarity is not None:
        params["f_min_similarity"] = _floor(f"{field}.min_similarity", f.min_similarity, -1, 1)
    if f.min_text_score is not None:
        params["f_min_text_score"] = _floor(f"{field}.min_text_score", f.min_text_score, 0, 1e9)
    shape = FilterShape(
        tags_match=tags_match,
        exclude_tags=f.exclude_tags is not None,
        groups=tuple(groups),
        untagged=f.untagged,
        windows=tuple(windows),
        document_ids=f.document_ids is not None,
        metadata=f.metadata is not None,
        min_similarity=f.min_similarity is not None,
        min_text_score=f.min_text_score is not None,
    )
    return shape, params
