"""`python -m repo demo`: retain a few hundred memories and recall them, with timings.

Embeddings here are deterministic pseudo-random vectors derived from the words of each
text (a bag of hashed word vectors), not a language model: similar word sets give
similar vectors, which is enough to show the recall arms at work.
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from repo.models import LinkIn, MemoryIn, RecallQuery
from repo.rows import Row
from repo.store import open_store
from schema.types import DEFAULT_EMBEDDING_DIM

PEOPLE = ["Alice", "Bob", "Carol", "Dmitri", "Esther", "Farid"]
PLACES = ["Lisbon", "the lab", "the cafe", "Osaka", "the library", "the harbour"]
ACTIVITIES = [
    "discussed the quarterly roadmap", "reviewed a pull request", "planned a hiking trip",
    "debugged the vector index", "cooked a risotto", "argued about tabs and spaces",
    "read a paper on memory consolidation", "fixed the build", "booked flights",
]  # fmt: skip
FACT_TYPES = ("world", "experience", "observation")


def word_vector(word: str, dim: int = DEFAULT_EMBEDDING_DIM) -> list[float]:
    seed = int.from_bytes(hashlib.sha256(word.lower().encode()).digest()[:8], "big")
    rng = random.Random(seed)
    return [rng.gauss(0.0, 1.0) for _ in range(dim)]


def text_embedding(text: str, dim: int = DEFAULT_EMBEDDING_DIM) -> list[float]:
    """Deterministic embedding: the normalised sum of hashed word vectors (not a model)."""
    acc = [0.0] * dim
    for word in text.replace(".", " ").split():
        for i, x in enumerate(word_vector(word, dim)):
            acc[i] += x
    norm = math.sqrt(sum(x * x for x in acc)) or 1.0
    return [x / norm for x in acc]


def demo_memories(n: int, seed: int = 7) -> list[MemoryIn]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        who, other = rng.sample(PEOPLE, 2)
        text = f"{who} and {other} {rng.choice(ACTIVITIES)} at {rng.choice(PLACES)}."
        out.append(
            MemoryIn(
                text=text,
                embedding=text_embedding(text),
                fact_type=FACT_TYPES[i % 3],
                event_date=start + timedelta(hours=7 * i),
                tags=[who.lower()],
                entities=[who, other],
            )
        )
    return out


def _table(rows: Sequence[tuple[str, ...]], headers: tuple[str, ...]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    sep = "  ".join("-" * w for w in widths)
    body = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join([line, sep, *body])


def _by_arm(rows: Sequence[Row]) -> dict[str, list[Row]]:
    """Rows grouped by recall arm, each group best first."""
    arms: dict[str, list[Row]] = {}
    for r in rows:
        arms.setdefault(str(r["arm"]), []).append(r)
    return {arm: sorted(hits, key=lambda r: -float(r["score"])) for arm, hits in arms.items()}


async def run_demo(url: str | None = None, *, items: int = 300) -> int:
    print("memrepo demo - embeddings are deterministic hashed word vectors, not a model")
    t0 = time.perf_counter()
    async with open_store(url, schema="memrepo_demo") as store:
        where = "embedded PostgreSQL" if url is None else store.backend.name
        print(f"opened {where} and migrated in {time.perf_counter() - t0:.2f}s")
        await store.banks.delete("demo")
        await store.banks.create("demo", "Demo bank")
        memories = demo_memories(items)
        t = time.perf_counter()
        ids = await store.memories.retain("demo", memories)
        links = [LinkIn(ids[i], ids[i + 1], "temporal", 0.8) for i in range(len(ids) - 1)]
        await store.memories.add_links("demo", links)
        elapsed = time.perf_counter() - t
        print(f"retained {len(ids)} memories and {len(links)} links in {elapsed * 1000:.0f} ms")

        for question in ("Alice debugged the vector index", "hiking trip in Osaka"):
            query = RecallQuery(embedding=text_embedding(question), text=question, k_semantic=5,
                                k_text=5, k_graph=5, seeds=5)  # fmt: skip
            await store.recall.recall("demo", query)  # warm the statement caches
            t = time.perf_counter()
            result = await store.recall.recall("demo", query)
            ms = (time.perf_counter() - t) * 1000
            print(f"\nrecall {question!r}: {len(result.all_rows())} candidates in {ms:.1f} ms")
            rows = []
            for arm, hits in _by_arm(result.all_rows()).items():
                for r in hits[:2]:
                    rows.append((arm, str(len(hits)), f"{float(r['score']):.3f}", str(r["text"])))
            print(_table(rows, ("arm", "hits", "score", "best matches")))
    return 0
