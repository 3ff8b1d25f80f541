"""python-oracledb value conversions, bind plans, type handlers and the row factory.

Pure functions and small data classes, unit-tested without a database
(tests/test_oracle_codecs.py). `repo.backends.oracle.driver` wires them to the driver.

Bind values are converted by a per-statement `BindPlan` built once from the compiled
statement's parameter types (`CompiledSQL.types`), because the Python value alone is
ambiguous: a list of floats is a VECTOR for `embedding` but a JSON id list for `ids`, and a
`None` in the first row of an `executemany` would otherwise make python-oracledb bind a
string. The connection's input type handler covers values bound without a known type.

Driver facts relied on (python-oracledb documentation and maintainers' answers):
- `array.array('f')` binds and fetches as VECTOR; dicts/lists bind as JSON only with
  `DB_TYPE_JSON`, and JSON numbers are fetched as `decimal.Decimal`.
- A tz-aware datetime is bound with its wall-clock fields and the zone replaced by UTC
  (python-oracledb issues #374, #414), and TIMESTAMP WITH TIME ZONE is fetched as a naive
  datetime of its wall-clock fields (#274, #596): so values are converted to UTC before
  binding and fetched values are marked UTC (memrepo only ever stores UTC instants).
- A `str` bound with `DB_TYPE_CLOB` becomes a temporary LOB (thin `var.pyx`), which is
  how values longer than a VARCHAR2 bind (4000 bytes with MAX_STRING_SIZE=STANDARD) reach
  places other than INSERT VALUES / UPDATE SET.
"""

from __future__ import annotations

import json
import uuid
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import oracledb
import sqlalchemy as sa
from sqlalchemy.dialects import oracle
from sqlalchemy.types import TypeEngine

from repo.rows import MappingRow
from repo.sql.cache import CompiledSQL

#: Longest text bound as VARCHAR2 outside INSERT VALUES / UPDATE SET; longer ones bind as
#: CLOB (Oracle's SQL VARCHAR2 limit with MAX_STRING_SIZE=STANDARD, in bytes).
MAX_VARCHAR_BIND_BYTES = 4000

Converter = Callable[[Any], Any]

# --------------------------------------------------------------------------- values in


def uuid_to_raw(value: Any) -> bytes | None:
    """A UUID (or its string form, or 16 raw bytes) as the 16 bytes of a RAW(16)."""
    if value is None:
        return None
    if isinstance(value, uuid.UUID):
        return value.bytes
    if isinstance(value, bytes | bytearray) and len(value) == 16:
        return bytes(value)
    if isinstance(value, str):
        return uuid.UUID(value).bytes
    raise TypeError(f"expected a UUID, got {type(value).__name__}")


def to_vector(value: Any) -> array[float] | None:
    """An embedding as `array('f')`, which python-oracledb binds as VECTOR(n, FLOAT32)."""
    if value is None:
        return None
    if isinstance(value, array) and value.typecode == "f":
        return value
    return array("f", value)


def _json_item(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, list | tuple):
        return [_json_item(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_item(v) for k, v in value.items()}
    return value


def to_json_value(value: Any) -> Any:
    """A value for a `DB_TYPE_JSON` bind: tuples become arrays, UUIDs 32-char hex strings."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return _json_item(value)


def encode_id_list(values: Any) -> str | None:
    """A list bound into `JSON_TABLE(:ids, '$[*]' ...)`: JSON text; UUIDs as 32 lower-case
    hex digits (the Oracle id-list construct applies HEXTORAW to each element)."""
    if values is None:
        return None
    if isinstance(values, str | bytes):
        raise TypeError("expected a list of values, got a string")
    return json.dumps(
        [v.hex if isinstance(v, uuid.UUID) else v for v in values],
        separators=(",", ":"),
        ensure_ascii=False,
    )


def to_utc_naive(value: Any) -> datetime | None:
    """A datetime as naive UTC wall-clock fields (naive input is taken to be UTC already)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def needs_clob(value: Any) -> bool:
    """Whether a text value is too long for a VARCHAR2 bind in an arbitrary SQL position."""
    if not isinstance(value, str) or len(value) * 4 <= MAX_VARCHAR_BIND_BYTES:
        return False
    return len(value.encode("utf-8", "surrogatepass")) > MAX_VARCHAR_BIND_BYTES


# --------------------------------------------------------------------------- values out


def raw_to_uuid(value: bytes | None) -> uuid.UUID | None:
    """A fetched RAW(16) as `uuid.UUID`."""
    return None if value is None else uuid.UUID(bytes=bytes(value))


def normalise_json(value: Any) -> Any:
    """A fetched JSON value with NUMBERs (fetched as Decimal) as int or float, like
    PostgreSQL's jsonb decoded by `json.loads`."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [normalise_json(v) for v in value]
    if isinstance(value, dict):
        return {k: normalise_json(v) for k, v in value.items()}
    return value


def utc_aware(value: datetime | None) -> datetime | None:
    """A fetched TIMESTAMP WITH TIME ZONE (naive wall clock of a UTC value) as aware UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- rows


def column_keys(description: Iterable[Sequence[Any]]) -> tuple[str, ...]:
    """Lower-case column names from `cursor.description` (Oracle upper-cases unquoted ones)."""
    return tuple(str(column[0]).lower() for column in description)


def make_row_factory(keys: tuple[str, ...]) -> Callable[..., MappingRow]:
    """A `cursor.rowfactory` (called with the row's values) that builds each row once."""

    def row(*values: Any) -> MappingRow:
        return MappingRow(zip(keys, values, strict=False))

    return row


# --------------------------------------------------------------------------- bind plans


def _is_list_type(t: TypeEngine[Any]) -> bool:
    return isinstance(t, sa.ARRAY)


def _timestamp_db_type(t: TypeEngine[Any]) -> Any:
    tz = bool(getattr(t, "timezone", False))
    return oracledb.DB_TYPE_TIMESTAMP_TZ if tz else oracledb.DB_TYPE_TIMESTAMP


def bind_rule(t: TypeEngine[Any]) -> tuple[Converter | None, Any]:
    """(converter, python-oracledb input size) for a parameter of Oracle type `t`."""
    if isinstance(t, oracle.VECTOR):
        return to_vector, oracledb.DB_TYPE_VECTOR
    if isinstance(t, oracle.RAW | sa.Uuid):
        return uuid_to_raw, oracledb.DB_TYPE_RAW
    if _is_list_type(t):
        return encode_id_list, None
    if isinstance(t, sa.JSON):
        return to_json_value, oracledb.DB_TYPE_JSON
    if isinstance(t, sa.DateTime):
        return to_utc_naive, _timestamp_db_type(t)
    if isinstance(t, sa.Integer):
        return None, oracledb.DB_TYPE_NUMBER
    if isinstance(t, sa.Float):
        return None, oracledb.DB_TYPE_BINARY_DOUBLE
    return None, None


@dataclass(frozen=True, slots=True)
class BindPlan:
    """How to bind one compiled statement's parameters with python-oracledb."""

    #: (parameter, converter) for every parameter whose value needs converting.
    conversions: tuple[tuple[str, Converter], ...]
    #: Input sizes that never change (`cursor.setinputsizes(**sizes)`).
    sizes: Mapping[str, Any]
    #: Text parameters that bind as CLOB when too long for a VARCHAR2 (see `needs_clob`).
    lob_params: tuple[str, ...]
    #: The statement is a MERGE (an upsert): ORA-00001 from a concurrent insert is retried.
    is_merge: bool

    def convert(self, compiled: CompiledSQL, values: Mapping[str, Any]) -> dict[str, Any]:
        """The named bind values for one execution."""
        bound = compiled.named(values)
        for name, convert in self.conversions:
            value = bound[name]
            if value is not None:
                bound[name] = convert(value)
        return bound

    def input_sizes(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """`setinputsizes` keywords for these (converted) rows."""
        sizes = dict(self.sizes)
        for name in self.lob_params:
            if any(needs_clob(row[name]) for row in rows):
                sizes[name] = oracledb.DB_TYPE_CLOB
        return sizes


def build_bind_plan(compiled: CompiledSQL) -> BindPlan:
    """The bind plan of a compiled Oracle statement (built once per statement)."""
    types: Sequence[TypeEngine[Any]] = compiled.types or [sa.types.NULLTYPE] * len(compiled.params)
    is_merge = compiled.sql.lstrip()[:5].upper() == "MERGE"
    conversions: list[tuple[str, Converter]] = []
    sizes: dict[str, Any] = {}
    lob_params: list[str] = []
    for name, t in zip(compiled.params, types, strict=True):
        convert, size = bind_rule(t)
        if convert is not None:
            conversions.append((name, convert))
        if size is not None:
            sizes[name] = size
        if _is_list_type(t) or (is_merge and isinstance(t, sa.Text)):
            lob_params.append(name)
    return BindPlan(tuple(conversions), sizes, tuple(lob_params), is_merge)


# --------------------------------------------------------------------------- type handlers


def input_type_handler(cursor: Any, value: Any, arraysize: int) -> Any:
    """Connection input type handler for values bound without a planned type."""
    if isinstance(value, uuid.UUID):
        return cursor.var(oracledb.DB_TYPE_RAW, arraysize=arraysize, inconverter=uuid_to_raw)
    if isinstance(value, dict):
        return cursor.var(oracledb.DB_TYPE_JSON, arraysize=arraysize, inconverter=to_json_value)
    if isinstance(value, list | tuple):
        text = encode_id_list(value)
        if needs_clob(text):
            return cursor.var(
                oracledb.DB_TYPE_CLOB, arraysize=arraysize, inconverter=encode_id_list
            )
        return cursor.var(
            oracledb.DB_TYPE_VARCHAR,
            size=MAX_VARCHAR_BIND_BYTES,
            arraysize=arraysize,
            inconverter=encode_id_list,
        )
    if isinstance(value, datetime) and value.tzinfo is not None:
        return cursor.var(
            oracledb.DB_TYPE_TIMESTAMP_TZ, arraysize=arraysize, inconverter=to_utc_naive
        )
    return None


def output_type_handler(cursor: Any, metadata: Any) -> Any:
    """Connection output type handler: RAW(16) -> UUID, JSON numbers -> int/float,
    TIMESTAMP WITH TIME ZONE -> aware UTC datetime. (LOBs are fetched as str/bytes by
    executing with `fetch_lobs=False`; VECTOR is fetched as `array` natively.)"""
    code = metadata.type_code
    if code is oracledb.DB_TYPE_RAW and metadata.internal_size == 16:
        return cursor.var(code, arraysize=cursor.arraysize, outconverter=raw_to_uuid)
    if code is oracledb.DB_TYPE_JSON:
        return cursor.var(code, arraysize=cursor.arraysize, outconverter=normalise_json)
    if code is oracledb.DB_TYPE_TIMESTAMP_TZ:
        return cursor.var(code, arraysize=cursor.arraysize, outconverter=utc_aware)
    return None
