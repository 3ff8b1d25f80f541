"""Documents and chunks: upsert by content hash, lock for write, and re-ingest that replaces
a document's memory units in one transaction, delta by chunk.

Delta re-ingest: a chunk is *kept* when the new version has a chunk of the same id whose
text hashes (SHA-256) to the stored chunk's hash; a stored NULL hash (chunks written
before revision 0006 on Oracle) never matches. The units of kept chunks stay untouched
(ids, links, entity mentions, observation sources); every other unit of the document
(units of changed or vanished chunks, and units of no chunk) is removed through
`remove_units`, and the new units of the call are written, except those of kept chunks,
which are skipped (their chunk's units are already there)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa

from repo.errors import NotFoundError, ValidationError
from repo.models import ChunkIn, LinkIn, MemoryIn
from repo.repositories.base import Repository
from repo.repositories.locks import lock_bank
from repo.repositories.memories import MemoryRepository
from repo.repositories.observations import citing_observations
from repo.repositories.unit_removal import remove_units
from repo.rows import Row
from repo.sql import Statement, upsert
from repo.validation.batches import check_batch
from repo.validation.json_objects import check_json
from repo.validation.text import check_id, check_text
from schema.tables import chunks as chunk_table
from schema.tables import documents, memory_units

_d = documents.c
_c = chunk_table.c
_u = memory_units.c
_BANK = sa.bindparam("bank_id", type_=_d.bank_id.type)
_DOC = sa.bindparam("document_id", type_=_d.document_id.type)

DOC_COLUMNS = [
    "bank_id", "document_id", "content_hash", "content", "metadata", "version",
    "created_at", "updated_at",
]  # fmt: skip

LOCK = Statement(
    "documents.lock",
    sa.select(_d.bank_id, _d.document_id, _d.content_hash, _d.version)
    .where(_d.bank_id == _BANK, _d.document_id == _DOC)
    .with_for_update(),
)
GET = Statement(
    "documents.get", sa.select(documents).where(_d.bank_id == _BANK, _d.document_id == _DOC)
)
#: Creates the row of a new document, or (when it exists, or a concurrent call is creating
#: it) waits for its writer and inserts nothing: a lock that exists before the row does.
CREATE = Statement(
    "documents.insert_if_absent", upsert(documents, DOC_COLUMNS, ["bank_id", "document_id"])
)
UPSERT = Statement(
    "documents.upsert",
    upsert(
        documents,
        DOC_COLUMNS,
        ["bank_id", "document_id"],
        {
            c: sa.bindparam(c, type_=documents.c[c].type)
            for c in ("content_hash", "content", "metadata", "version", "updated_at")
        },
    ),
)
DELETE = Statement(
    "documents.delete", sa.delete(documents).where(_d.bank_id == _BANK, _d.document_id == _DOC)
)
CHUNKS_DELETE = Statement(
    "chunks.delete_for_document",
    sa.delete(chunk_table).where(_c.bank_id == _BANK, _c.document_id == _DOC),
)
CHUNKS_LIST = Statement(
    "chunks.list_for_document",
    sa.select(chunk_table)
    .where(_c.bank_id == _BANK, _c.document_id == _DOC)
    .order_by(_c.chunk_index),
)
UNIT_IDS = Statement(
    "documents.unit_ids",
    sa.select(_u.id, _u.chunk_id).where(_u.bank_id == _BANK, _u.document_id == _DOC),
)
GET_CHUNK = Statement(
    "chunks.get",
    sa.select(chunk_table).where(
        _c.bank_id == _BANK, _c.chunk_id == sa.bindparam("chunk_id", type_=_c.chunk_id.type)
    ),
)


def _key(bank_id: str, document_id: str) -> dict[str, Any]:
    return {
        "bank_id": check_id("bank_id", bank_id),
        "document_id": check_id("document_id", document_id),
    }


def content_hash(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class IngestResult:
    """What an upsert or re-ingest did: `created`, `updated` or `unchanged`.

    `unit_ids`: units written; `removed_unit_ids`: units removed; `skipped_units`: given
    units not written because their chunk was kept. Chunk ids by fate: `kept_chunks`
    (same id and hash: their units stay), `replaced_chunks` (same id, new text),
    `added_chunks` (new id), `removed_chunks` (gone from the new version)."""

    status: str
    version: int
    unit_ids: list[uuid.UUID] = field(default_factory=list)
    removed_unit_ids: list[uuid.UUID] = field(default_factory=list)
    removed_observations: int = 0
    skipped_units: int = 0
    kept_chunks: list[str] = field(default_factory=list)
    replaced_chunks: list[str] = field(default_factory=list)
    added_chunks: list[str] = field(default_factory=list)
    removed_chunks: list[str] = field(default_factory=list)


class DocumentRepository(Repository):
    async def lock(self, bank_id: str, document_id: str) -> Row | None:
        """Lock a document row for the rest of the current transaction (None if absent).

        Call inside `store.transaction()`; concurrent writers of the same document wait.
        """
        params = _key(bank_id, document_id)
        return await self.db.fetchrow(LOCK, params)

    async def get(self, bank_id: str, document_id: str) -> Row:
        params = _key(bank_id, document_id)
        row = await self.db.fetchrow(GET, params)
        if row is None:
            raise NotFoundError(f"document {document_id!r} not found in bank {bank_id!r}")
        return row

    async def chunks(self, bank_id: str, document_id: str) -> list[Row]:
        params = _key(bank_id, document_id)
        return await self.db.fetch(CHUNKS_LIST, params)

    async def get_chunk(self, bank_id: str, chunk_id: str) -> Row:
        """One chunk of the bank by id (with its document id, index, text and hash)."""
        params = {
            "bank_id": check_id("bank_id", bank_id),
            "chunk_id": check_id("chunk_id", chunk_id),
        }
        row = await self.db.fetchrow(GET_CHUNK, params)
        if row is None:
            raise NotFoundError(f"chunk {chunk_id!r} not found in bank {bank_id!r}")
        return row

    async def upsert(
        self,
        bank_id: str,
        document_id: str,
        content: str,
        *,
        metadata: Mapping[str, Any] | None = None,
        chunks: Sequence[ChunkIn] = (),
    ) -> IngestResult:
        """Store a document and its chunks; unchanged content (same hash) is a no-op."""
        return await self.reingest(bank_id, document_id, content, metadata=metadata, chunks=chunks)

    async def reingest(
        self,
        bank_id: str,
        document_id: str,
        content: str,
        *,
        metadata: Mapping[str, Any] | None = None,
        chunks: Sequence[ChunkIn] = (),
        units: Sequence[MemoryIn] = (),
        links: Sequence[LinkIn] = (),
    ) -> IngestResult:
        """Replace a document, its chunks and its memory units in one transaction, keeping
        the units of unchanged chunks (see the module docstring).

        A unit belongs to a chunk through `MemoryIn.chunk_id`, which must name one of
        `chunks` (or be None: a unit of the whole document, always replaced). Observations
        whose sources were among the removed units are deleted. If the document's content
        hash is unchanged nothing is written. On any error the previous version stays
        intact.
        """
        check_id("bank_id", bank_id)
        check_id("document_id", document_id)
        check_text("content", content)
        meta = check_json("metadata", metadata)
        check_batch("chunks", chunks, allow_empty=True, kind=ChunkIn)
        check_batch("units", units, allow_empty=True, kind=MemoryIn)
        chunk_rows = [
            {
                "bank_id": bank_id,
                "chunk_id": check_id(f"chunks[{i}].chunk_id", ch.chunk_id),
                "document_id": document_id,
                "chunk_index": i,
                "text": check_text(f"chunks[{i}].text", ch.text),
                "content_hash": content_hash(ch.text),
            }
            for i, ch in enumerate(chunks)
        ]
        new_hashes = {str(r["chunk_id"]): str(r["content_hash"]) for r in chunk_rows}
        if len(new_hashes) != len(chunk_rows):
            raise ValidationError("chunks", "duplicate chunk ids")
        for i, unit in enumerate(units):
            if unit.document_id not in (None, document_id):
                raise ValidationError(f"units[{i}].document_id", "belongs to another document")
            if unit.chunk_id is not None and unit.chunk_id not in new_hashes:
                raise ValidationError(f"units[{i}].chunk_id", "is not one of the chunks")
        units = [_with_document(u, document_id) for u in units]
        digest = content_hash(content)
        memories = MemoryRepository(self.db, dim=self.dim, clock=self.now)
        # Every unit and link checked once, before any SQL; the fresh ones are written.
        prepared = memories.prepare_retain(bank_id, units, links) if units else None
        # Units the new links reference: locked with the removed ones, by id.
        ends = {end for e in prepared.edges for end in e[:2]} if prepared else set()
        key = {"bank_id": bank_id, "document_id": document_id}

        now = self.now()
        row = {
            **key, "content_hash": digest, "content": content, "metadata": meta,
            "version": 1, "created_at": now, "updated_at": now,
        }  # fmt: skip
        async with self.db.transaction():
            await lock_bank(self.db, bank_id)
            # Serialised per document: a second writer of a new document waits here for
            # the first to commit, then finds its row and updates it.
            created = await self.db.execute(CREATE, row) > 0
            current = None if created else await self.db.fetchrow(LOCK, key)
            version = 1
            removed: list[uuid.UUID] = []
            removed_obs = 0
            old_hashes: dict[str, str | None] = {}
            if current is not None:
                if current["content_hash"] == digest:
                    return IngestResult("unchanged", current["version"])
                version = current["version"] + 1
                await self.db.execute(UPSERT, {**row, "version": version})
                old = await self.db.fetch(CHUNKS_LIST, key)
                old_hashes = {c["chunk_id"]: c["content_hash"] for c in old}
            kept = {cid for cid, h in new_hashes.items() if old_hashes.get(cid) == h}
            if current is not None:
                removed = [
                    r["id"]
                    for r in await self.db.fetch(UNIT_IDS, key)
                    if r["chunk_id"] is None or r["chunk_id"] not in kept
                ]
                if removed:
                    # The observations citing removed units go with them, through the one
                    # removal path: every unit to remove (and those the new links
                    # reference) locked in one pass by id, before any link or entity.
                    citing = await citing_observations(self.db, bank_id, removed)
                    stale = set(citing) - set(removed)
                    doomed = [*removed, *stale]
                    gone = await remove_units(self.db, bank_id, doomed, now, also_lock=ends)
                    removed_obs = len(stale.intersection(gone))
                await self.db.execute(CHUNKS_DELETE, key)
            if chunk_rows:
                await self.db.bulk_insert(
                    chunk_table, list(chunk_rows[0]), [tuple(r.values()) for r in chunk_rows]
                )
            fresh = [i for i, u in enumerate(units) if u.chunk_id is None or u.chunk_id not in kept]
            unit_ids = (
                await memories.write_retain(prepared.subset(fresh)) if prepared and fresh else []
            )
        return IngestResult(
            "created" if created else "updated",
            version,
            unit_ids,
            removed,
            removed_obs,
            skipped_units=len(units) - len(fresh),
            kept_chunks=[c for c in new_hashes if c in kept],
            replaced_chunks=[c for c in new_hashes if c in old_hashes and c not in kept],
            added_chunks=[c for c in new_hashes if c not in old_hashes],
            removed_chunks=[c for c in old_hashes if c not in new_hashes],
        )

    async def delete(self, bank_id: str, document_id: str) -> bool:
        """Delete a document with its chunks and memory units (entities left without
        units with them)."""
        params = _key(bank_id, document_id)
        async with self.db.transaction():
            if not await lock_bank(self.db, bank_id, required=False):
                return False
            if await self.db.fetchrow(LOCK, params) is None:
                return False
            units = [r["id"] for r in await self.db.fetch(UNIT_IDS, params)]
            await remove_units(self.db, bank_id, units, self.now())
            return await self.db.execute(DELETE, params) > 0


def _with_document(unit: MemoryIn, document_id: str) -> MemoryIn:
    if unit.document_id == document_id:
        return unit
    return replace(unit, document_id=document_id)
