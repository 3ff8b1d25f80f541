"""`executemany` in chunks of our own, with python-oracledb's batch errors read per chunk.

python-oracledb's `executemany(..., batch_size=n, batcherrors=True)` sends the rows in
round trips of `n`, and each round trip's response *replaces* the cursor's batch errors
(thin `messages/base.pyx`: `cursor_impl._batcherrors = self.error_info.batcherrors`): after
the call, `getbatcherrors()` holds only the last round trip's errors, with offsets relative to
that round trip. Errors of earlier round trips are lost, and an offset read as an index into
all rows picks the wrong row. So the backend splits the rows itself, runs one `executemany`
per chunk (one round trip each, the driver's default `batch_size` being 2**32 - 1), reads
`getbatcherrors()` after every chunk and adds the chunk's start to each offset.

A chunk also stays below 65,535 rows: the protocol reports at most that many batch errors
(python-oracledb issue #262).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Rows sent per round trip by `executemany` / `bulk_insert` (< 65,535, see above).
BATCH_SIZE = 5000


@dataclass(frozen=True, slots=True)
class BatchError:
    """One failed row of an `executemany`: `offset` indexes the rows passed in."""

    offset: int
    code: int
    full_code: str
    message: str


def _batch_error(err: Any, start: int) -> BatchError:
    code = int(getattr(err, "code", 0) or 0)
    message = str(getattr(err, "message", None) or err)
    full_code = str(getattr(err, "full_code", "") or "")
    return BatchError(start + int(err.offset), code, full_code, message)


async def executemany_chunked(
    cursor: Any,
    sql: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    sizes: Mapping[str, Any],
    batcherrors: bool,
    chunk_size: int = BATCH_SIZE,
) -> list[BatchError]:
    """Run `sql` for every row, `chunk_size` rows per round trip; with `batcherrors`, the
    failed rows of every chunk, offsets relative to `rows` (without, the first error raises).

    `sizes` are re-applied (`setinputsizes`) before each chunk.
    """
    errors: list[BatchError] = []
    for start in range(0, len(rows), chunk_size):
        if sizes:
            cursor.setinputsizes(**sizes)
        await cursor.executemany(sql, rows[start : start + chunk_size], batcherrors=batcherrors)
        if batcherrors:
            errors.extend(_batch_error(e, start) for e in cursor.getbatcherrors())
    return errors
