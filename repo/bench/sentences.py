"""Real English sentences with embeddings that have lexical neighbourhood structure, offline.

No embedding model can be downloaded everywhere tests and the benchmark run, so this
module builds one from what every Python installation carries:

- **Text**: the sentences of the standard library's own prose: the docstrings and
  comment blocks of its `.py` files and the reference topics of `pydoc_data.topics`
  (about 40,000 distinct sentences of 6 to 50 words). Each sentence keeps the source
  file or topic it came from: its *document*. Beyond the distinct
  sentences, unit `i` joins the first half of one sentence to the second half of the
  next sentence of the same document (a new sentence that shares words with both).
- **Embedding**: hashed TF-IDF (lower-cased words and word bigrams, sublinear term
  frequency, smoothed IDF over the whole corpus, `2**14` buckets), plus half the
  document's mean TF-IDF vector (sentences of one docstring cluster together), projected
  by a fixed Gaussian random matrix to `dim` dimensions, plus a common direction (real
  models' embeddings are anisotropic: unrelated sentences are not orthogonal), unit norm.
  Neighbourhoods are lexical and skewed (Zipf word frequencies, documents of very
  different sizes, near-duplicate sentences), not uniform noise.
- **Queries**: a unit's sentence with about 40% of its words dropped, embedded the same
  way: its true neighbours are the unit and the units that share its rarer words.

Deterministic for a given Python version (its standard library is the text) and numpy's
PCG64 generator: the same `(items, seed)` gives the same texts and vectors.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import sys
import sysconfig
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from schema.types import DEFAULT_EMBEDDING_DIM

#: Bump when the corpus or the embedding changes (part of cached banks' keys).
CORPUS_VERSION = 1
BUCKETS = 2**14
DOC_WEIGHT = 0.5
COMMON_WEIGHT = 0.35
QUERY_DROP = 0.4

_DOCSTRING = re.compile(r'"""(.*?)"""|\'\'\'(.*?)\'\'\'', re.S)
_COMMENT_BLOCK = re.compile(r"(?:^[ \t]*#[^\n]*\n)+", re.M)
_SENTENCE_END = re.compile(r"(?<=[a-z][.!?])\s+(?=[A-Z])")
_WORD = re.compile(r"[a-z][a-z']+")
_ENGLISH_WORD = re.compile(r"[A-Za-z][a-z']+")

Matrix = npt.NDArray[np.float32]


def _documents() -> list[list[str]]:
    """The standard library's prose, in a fixed order: per document (a reference topic, or
    a source file), its blocks (the topic; each docstring and comment block)."""
    from pydoc_data.topics import topics

    root = Path(sysconfig.get_paths()["stdlib"])
    documents = [[topics[name]] for name in sorted(topics)]
    for path in sorted(root.rglob("*.py")):
        if "site-packages" in path.parts:
            continue
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        blocks = [m.group(1) or m.group(2) or "" for m in _DOCSTRING.finditer(source)]
        for m in _COMMENT_BLOCK.finditer(source):
            blocks.append(" ".join(line.strip().lstrip("#") for line in m.group(0).splitlines()))
        documents.append(blocks)
    return documents


def _sentences(block: str) -> list[str]:
    out = []
    for s in _SENTENCE_END.split(" ".join(block.split())):
        words = s.split()
        if 6 <= len(words) <= 50 and len(_ENGLISH_WORD.findall(s)) >= 0.7 * len(words):
            out.append(s)
    return out


def corpus_key() -> str:
    """Identifies the corpus and embedding (the text is this Python's standard library)."""
    return f"sent{CORPUS_VERSION}_py{sys.version_info[0]}{sys.version_info[1]}"


@dataclass(frozen=True)
class Corpus:
    """Distinct sentences and the document (block) each came from, in corpus order."""

    sentences: tuple[str, ...]
    documents: npt.NDArray[np.int32]

    @property
    def size(self) -> int:
        return len(self.sentences)


@functools.cache
def corpus() -> Corpus:
    """The corpus of this Python's standard library (built once per process)."""
    seen: set[str] = set()
    sentences: list[str] = []
    documents: list[int] = []
    doc = 0
    for blocks in _documents():
        found = [s for block in blocks for s in _sentences(block) if s not in seen]
        found = list(dict.fromkeys(found))
        if not found:
            continue
        seen.update(found)
        sentences.extend(found)
        documents.extend([doc] * len(found))
        doc += 1
    return Corpus(tuple(sentences), np.asarray(documents, dtype=np.int32))


def _features(text: str) -> list[str]:
    words = _WORD.findall(text.lower())
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def _bucket(feature: str) -> int:
    return zlib.crc32(feature.encode()) % BUCKETS


class SentenceEmbedder:
    """Hashed TF-IDF of a text and its document, randomly projected (see the module)."""

    def __init__(self, texts: list[str], documents: npt.NDArray[np.int32], dim: int, seed: int):
        self.dim = dim
        counts = np.zeros(BUCKETS, dtype=np.float64)
        self._rows = [self._counts(t) for t in texts]
        for buckets, _ in self._rows:
            counts[buckets] += 1
        self.idf = (np.log((1 + len(texts)) / (1 + counts)) + 1.0).astype(np.float32)
        rng = np.random.Generator(np.random.PCG64(seed))
        self.projection = (rng.standard_normal((BUCKETS, dim), dtype=np.float32)) / np.sqrt(
            np.float32(dim)
        )
        common = rng.standard_normal(dim).astype(np.float32)
        self.common = common / np.linalg.norm(common)
        n_docs = int(documents.max()) + 1 if len(documents) else 0
        doc_sum = np.zeros((n_docs, dim), dtype=np.float32)
        for lo in range(0, len(texts), 4096):
            np.add.at(doc_sum, documents[lo : lo + 4096], self._project(self._rows[lo : lo + 4096]))
        norms = np.linalg.norm(doc_sum, axis=1, keepdims=True)
        self.doc_vectors = doc_sum / np.maximum(norms, 1e-12)

    @staticmethod
    def _counts(text: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        buckets, counts = np.unique(
            np.fromiter((_bucket(f) for f in _features(text)), dtype=np.int64), return_counts=True
        )
        return buckets, counts.astype(np.float32)

    def _project(self, rows: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]]) -> Matrix:
        """Projected, unit-norm TF-IDF vectors of counted texts."""
        out = np.zeros((len(rows), self.dim), dtype=np.float32)
        for i, (buckets, counts) in enumerate(rows):
            if len(buckets) == 0:
                continue
            weights = (1.0 + np.log(counts)) * self.idf[buckets]
            weights /= np.linalg.norm(weights)
            out[i] = weights @ self.projection[buckets]
        return out

    def embed(self, texts: list[str], documents: npt.NDArray[np.int32]) -> Matrix:
        """Unit-norm embeddings of texts, each pulled towards its document's vector."""
        lexical = self._project([self._counts(t) for t in texts])
        mixed = lexical + DOC_WEIGHT * self.doc_vectors[documents] + COMMON_WEIGHT * self.common
        norms = np.linalg.norm(mixed, axis=1, keepdims=True)
        out: Matrix = (mixed / np.maximum(norms, 1e-12)).astype(np.float32)
        return out


class SentenceBank:
    """Texts, embeddings and queries of `items` units from the corpus (see the module)."""

    def __init__(self, items: int, seed: int = 42, dim: int = DEFAULT_EMBEDDING_DIM) -> None:
        self.items, self.seed, self.dim = items, seed, dim
        c = corpus()
        rng = np.random.Generator(np.random.PCG64(seed))
        order = rng.permutation(c.size)
        self._texts: list[str] = []
        docs: list[int] = []
        for i in range(items):
            j = int(order[i % c.size])
            text = c.sentences[j] if i < c.size else self._joined(c, j, i // c.size)
            self._texts.append(text)
            docs.append(int(c.documents[j]))
        self._docs = np.asarray(docs, dtype=np.int32)
        self._embedder = SentenceEmbedder(list(c.sentences), c.documents, dim, seed)
        self._chunk: tuple[int, Matrix] | None = None

    @staticmethod
    def _joined(c: Corpus, j: int, round_: int) -> str:
        """Round `round_` of recombination: sentence j's first half, and the second half of
        the sentence `round_` places later in the same document (or of the next one)."""
        other = min(j + round_, c.size - 1)
        if c.documents[other] != c.documents[j]:
            other = max(j - round_, 0)
        head, tail = c.sentences[j].split(), c.sentences[other].split()
        return " ".join(head[: max(3, len(head) // 2)] + tail[len(tail) // 2 :])

    def text(self, i: int) -> str:
        return self._texts[i]

    def document(self, i: int) -> int:
        return int(self._docs[i])

    def embeddings(self, start: int, stop: int) -> Matrix:
        """Embeddings of units [start, stop)."""
        return self._embedder.embed(self._texts[start:stop], self._docs[start:stop])

    def embedding(self, i: int) -> Matrix:
        """Unit i's embedding (computed 4,096 at a time, for sequential readers)."""
        lo = i - i % 4096
        if self._chunk is None or self._chunk[0] != lo:
            self._chunk = (lo, self.embeddings(lo, min(lo + 4096, self.items)))
        row: Matrix = self._chunk[1][i - lo]
        return row

    def all_embeddings(self) -> Matrix:
        return np.concatenate(
            [self.embeddings(lo, min(lo + 4096, self.items)) for lo in range(0, self.items, 4096)]
        )

    def query(self, j: int) -> tuple[int, str, Matrix]:
        """Query j: (the unit it paraphrases, its text, its embedding)."""
        digest = hashlib.sha256(f"{self.seed}:{j}".encode()).digest()
        rng = np.random.Generator(np.random.PCG64(int.from_bytes(digest[:8], "big")))
        i = int(rng.integers(self.items))
        words = self._texts[i].split()
        kept = [w for w in words if rng.random() >= QUERY_DROP] or words[:3]
        text = " ".join(kept)
        return i, text, self._embedder.embed([text], self._docs[i : i + 1])[0]
