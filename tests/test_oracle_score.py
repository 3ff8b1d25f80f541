"""One type for full-text scores on Oracle: SCORE(n) is a NUMBER (fetched as `int`, the
values being whole numbers 0..100), but inside the recall UNION ALL, next to BINARY_DOUBLE
vector distances, Oracle promotes it to BINARY_DOUBLE (`float`). The construct casts it, so
`recall.fulltext` and the recall arms both return a float, like PostgreSQL's ts_rank_cd.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import oracledb

from repo.backends.oracle.codecs import output_type_handler
from tests.golden_tool import GOLDEN_DIR

CAST_SCORE = re.compile(
    r"CAST\((?:SCORE\(\d+\)|GREATEST\(NVL\(SCORE\(\d+\), 0\), NVL\(SCORE\(\d+\), 0\)\))"
    r" AS BINARY_DOUBLE\)"
)


def test_every_oracle_score_is_cast_to_binary_double() -> None:
    with_score = []
    for path in sorted((GOLDEN_DIR / "oracle").glob("*.sql")):
        sql = path.read_text(encoding="utf-8")
        if "SCORE(" not in sql:
            continue
        with_score.append(path.name)
        bare = CAST_SCORE.sub("", sql)
        assert "SCORE(" not in bare, f"{path.name}: SCORE(n) not cast to BINARY_DOUBLE"
    assert "recall.fulltext.sql" in with_score
    assert any(name.startswith("recall.arms[") for name in with_score)


def test_binary_double_is_fetched_as_the_drivers_float() -> None:
    """No output handler converts BINARY_DOUBLE: python-oracledb returns it as float."""
    meta = SimpleNamespace(type_code=oracledb.DB_TYPE_BINARY_DOUBLE, internal_size=8)
    assert output_type_handler(SimpleNamespace(arraysize=100), meta) is None
