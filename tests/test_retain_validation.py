"""Retain's batch validation: errors name the unit or link and its field, the garbage
collector is paused only while a batch is checked, metadata is serialised once."""

from __future__ import annotations

import gc
import json
import uuid

import pytest

from repo.backends.postgres import encode_jsonb
from repo.errors import ValidationError
from repo.models import LinkIn
from repo.store import Store
from repo.validation.batches import collector_paused
from repo.validation.json_objects import JsonObject, check_json
from tests.helpers import unit


@pytest.mark.parametrize(
    ("index", "change", "field"),
    [
        (0, {"text": ""}, "units[0].text"),
        (2, {"embedding": [0.0] * 3}, "units[2].embedding"),
        (1, {"fact_type": "dream"}, "units[1].fact_type"),
        (3, {"tags": ["ok", 5]}, "units[3].tags"),
        (4, {"metadata": {"x": float("nan")}}, "units[4].metadata"),
        (0, {"proof_count": -1}, "units[0].proof_count"),
        (2, {"id": "not-a-uuid"}, "units[2].id"),
        (1, {"chunk_id": "x" * 300}, "units[1].chunk_id"),
    ],
)
@pytest.mark.integration
async def test_a_bad_unit_is_named_with_its_field(
    store: Store, bank: str, index: int, change: dict[str, object], field: str
) -> None:
    units = [unit(i) for i in range(5)]
    units[index] = unit(index, **change)
    with pytest.raises(ValidationError) as info:
        await store.memories.retain(bank, units)
    assert info.value.field == field
    assert gc.isenabled()
    assert await store.memories.count(bank) == 0


@pytest.mark.integration
async def test_a_bad_link_is_named_with_its_field(store: Store, bank: str) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    links = [LinkIn(a, b, "temporal"), LinkIn(a, b, "semantic", weight=2.0)]
    with pytest.raises(ValidationError) as info:
        await store.memories.retain(bank, [unit(0, id=a), unit(1, id=b)], links)
    assert info.value.field == "links[1].weight"
    assert await store.memories.count(bank) == 0


def test_collector_pause_restores_the_collector_state() -> None:
    assert gc.isenabled()
    with pytest.raises(ValidationError), collector_paused():
        assert not gc.isenabled()
        raise ValidationError("f", "m")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the caller's choice is kept
    finally:
        gc.enable()


def test_metadata_is_serialised_once_and_sent_as_validated() -> None:
    source = {"k": [1, "é", {"n": None}], "b": True}
    checked = check_json("m", source)
    assert isinstance(checked, JsonObject) and checked == source
    assert json.loads(checked.utf8) == source
    assert encode_jsonb(checked) == b"\x01" + checked.utf8
    assert encode_jsonb(dict(source))[1:] == json.dumps(source, separators=(",", ":")).encode()
    source["k"] = "changed later"  # the validated copy does not follow the caller's dict
    assert checked["k"] == [1, "é", {"n": None}]
