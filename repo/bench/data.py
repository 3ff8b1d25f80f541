"""A deterministic synthetic memory bank: units, embeddings, text, entities, links, queries.

Everything derives from `(items, seed)`: unit `i` is the same on every run and every
machine (pure-Python `random.Random`, no numpy), so a loaded bank can be cached on the
server and reused, and every variant replays the same queries.

Shape of the data (sized so one recall reads about 1,000 candidate rows):

- the bank grows in breadth: one topic per 250 units (at least 8), each with a unit-norm
  centroid in `dim` dimensions and a Zipf-weighted list of 200 words drawn from a
  vocabulary of 150 made-up words per topic (two or three syllables, so none is an English
  stop word). A unit's embedding is its topic's centroid plus noise (cosine to the
  centroid about 0.65); its text is 14 to 28 words, 60% from its topic and 40% from the
  whole vocabulary (also Zipf), plus its entities' names.
- fact types: world 50%, experience 30%, observation 20%; a few more observations (1%)
  are derived through the observation API and cite 2 to 5 source units.
- `items // 8` entities (person/place/org/thing), each belonging to a topic; a unit
  mentions 1 to 5 of its topic's entities (Zipf-skewed, ~2.7 on average), so an entity
  has ~22 mentions whatever the bank size.
- links: each unit links to the previous unit of its topic (temporal) and is linked from
  a random earlier unit of its topic (semantic): ~2 links per unit.
- hubs (`BankSpec(hubs=3)`, the graph workload's bank only; none by default): entities of
  no topic, each mentioned by about `hub_share` (15%) of the units, drawn from a stream of
  their own, so every other part of every unit is the same as in the bank without hubs.
- queries: an embedding near a topic centroid and two of the topic's eight most frequent
  words joined by `or` (`websearch_to_tsquery` syntax, e.g. `"bavelo or kitupa"`): about
  200 full-text matches per query, at any bank size.

`BankSpec(corpus="sentences")` keeps every other part but takes each unit's text and
embedding, and each query, from `repo.bench.sentences`: real English sentences whose
embeddings have lexical neighbourhoods (hard for an approximate index in the way real
embeddings are: near-ties, skew, clusters of very different sizes), and queries that
paraphrase a unit (its sentence with words dropped; full text: two of its longer words).
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import re
import uuid
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from repo.models import EntityIn, LinkIn, MemoryIn
from schema.types import DEFAULT_EMBEDDING_DIM

if TYPE_CHECKING:
    from repo.bench.sentences import SentenceBank

#: Bump when the generated data changes, so cached banks are not reused by mistake.
GENERATOR_VERSION = 2

T0 = datetime(2025, 1, 1, tzinfo=UTC)
FACT_TYPES_WEIGHTED = (("world", 0.5), ("experience", 0.3), ("observation", 0.2))
ENTITY_TYPES = ("person", "place", "org", "thing")
TAGS = tuple(f"tag{i:02d}" for i in range(20))
SOURCES = ("chat", "email", "doc", "meeting", "note")
_CONSONANTS = "bdfgklmnprstvz"
_WORDS = re.compile(r"[a-z]{4,}")
_VOWELS = "aeiou"

# Kinds of per-item random streams (keeps streams independent of each other).
_K_UNIT, _K_TOPIC, _K_ID, _K_QUERY, _K_LINK, _K_OBS, _K_HUB = range(7)


def _syllables() -> list[str]:
    return [c + v for c in _CONSONANTS for v in _VOWELS]


def _zipf_cumulative(n: int, s: float = 1.0) -> list[float]:
    return list(itertools.accumulate(1.0 / (r**s) for r in range(1, n + 1)))


def _normalize(v: list[float]) -> array[float]:
    norm = math.sqrt(math.fsum(x * x for x in v))
    return array("f", [x / norm for x in v])


@dataclass(frozen=True)
class BankSpec:
    """What determines a synthetic bank: its size, seed and shape."""

    items: int
    seed: int = 42
    dim: int = DEFAULT_EMBEDDING_DIM
    #: Units per topic: the bank grows in breadth (more topics, words and entities).
    topic_size: int = 250
    topic_words: int = 200
    #: Where unit texts and embeddings come from: made-up topic words around random
    #: centroids ("synthetic"), or the standard library's sentences ("sentences").
    corpus: Literal["synthetic", "sentences"] = "synthetic"
    #: Hub entities (of no topic), each mentioned by about `hub_share` of the units.
    hubs: int = 0
    hub_share: float = 0.15

    @property
    def topics(self) -> int:
        return max(8, self.items // self.topic_size)

    @property
    def vocab(self) -> int:
        """Distinct words: 150 per topic (at most the 68,900 the syllables make)."""
        return min(150 * self.topics, 68_900)

    @property
    def entities(self) -> int:
        return max(40, self.items // 8)

    @property
    def observations(self) -> int:
        """Observations derived through the observation API (the rest are retained units)."""
        return max(1, self.items // 100)

    @property
    def key(self) -> str:
        """Identifies the generated data (used in the cache schema name)."""
        base = f"n{self.items}_s{self.seed}_g{GENERATOR_VERSION}"
        if self.hubs:
            base += f"_h{self.hubs}x{round(self.hub_share * 100)}"
        if self.corpus == "sentences":
            from repo.bench.sentences import corpus_key

            return f"{base}_{corpus_key()}"
        return base


@dataclass(frozen=True, slots=True)
class Query:
    """One recall request: an embedding and a full-text query."""

    index: int
    topic: int
    embedding: list[float]
    text: str


@dataclass
class SyntheticBank:
    """Generates unit `i`, its links, the observations and the queries of a `BankSpec`."""

    spec: BankSpec
    words: list[str] = field(init=False)
    topic_of: array[int] = field(init=False)

    def __post_init__(self) -> None:
        spec = self.spec
        rng = random.Random(f"memrepo-bench:{spec.seed}:{GENERATOR_VERSION}")
        syl = _syllables()
        two = [a + b for a in syl for b in syl]
        three = [a + b + c for a in syl[:40] for b in syl[:40] for c in syl[:40]]
        pool = two + three
        self.words = rng.sample(pool, spec.vocab)
        self._vocab_cum = _zipf_cumulative(spec.vocab, 1.0)
        self._topic_words: list[list[str]] = [
            rng.sample(self.words, spec.topic_words) for _ in range(spec.topics)
        ]
        self._topic_cum = _zipf_cumulative(spec.topic_words, 1.0)
        self.centroids: list[list[float]] = []
        for _ in range(spec.topics):
            v = [rng.gauss(0.0, 1.0) for _ in range(spec.dim)]
            n = math.sqrt(math.fsum(x * x for x in v))
            self.centroids.append([x / n for x in v])
        # Entities: a name, a type and a home topic; per topic a Zipf-skewed list.
        names: set[str] = set()
        self.entity_names: list[str] = []
        self.entity_types: list[str] = []
        self._topic_entities: list[list[int]] = [[] for _ in range(spec.topics)]
        while len(self.entity_names) < spec.entities:
            name = f"{rng.choice(syl).title()}{rng.choice(syl)} {rng.choice(syl).title()}" + (
                f"{rng.choice(syl)}{rng.choice(syl)}"
            )
            if name in names:
                continue
            names.add(name)
            e = len(self.entity_names)
            self.entity_names.append(name)
            self.entity_types.append(ENTITY_TYPES[e % len(ENTITY_TYPES)])
            self._topic_entities[e % spec.topics].append(e)
        #: Hub entities' names (not in `entity_names`: the other entities are unchanged).
        self.hub_names = [f"Hub{h:02d} Central" for h in range(spec.hubs)]
        self._entity_cum = [_zipf_cumulative(len(es), 0.8) for es in self._topic_entities]
        self.topic_of = array(
            "H", (self._rng(_K_TOPIC, i).randrange(spec.topics) for i in range(spec.items))
        )
        # For links: the previous unit of the same topic, and all earlier ones.
        self._prev_same_topic = array("l", [-1]) * spec.items
        last = [-1] * spec.topics
        self._topic_members: list[array[int]] = [array("l") for _ in range(spec.topics)]
        for i, t in enumerate(self.topic_of):
            self._prev_same_topic[i] = last[t]
            last[t] = i
            self._topic_members[t].append(i)
        self._rank_in_topic = array("l", [0]) * spec.items
        for members in self._topic_members:
            for rank, i in enumerate(members):
                self._rank_in_topic[i] = rank
        self.sentences: SentenceBank | None = None
        if spec.corpus == "sentences":
            from repo.bench.sentences import SentenceBank

            self.sentences = SentenceBank(spec.items, seed=spec.seed, dim=spec.dim)
        elif spec.corpus != "synthetic":
            raise ValueError(f"unknown corpus {spec.corpus!r}")

    # ------------------------------------------------------------------ helpers

    def _rng(self, kind: int, i: int) -> random.Random:
        return random.Random(((self.spec.seed * 8 + kind) << 40) + i)

    def _embedding_near(self, rng: random.Random, topic: int) -> array[float]:
        centroid = self.centroids[topic]
        r = rng.random
        return _normalize([c + (r() - 0.5) * 0.2076 for c in centroid])

    def _topic_word(self, rng: random.Random, topic: int) -> str:
        pick = rng.random() * self._topic_cum[-1]
        return self._topic_words[topic][bisect.bisect_left(self._topic_cum, pick)]

    def _any_word(self, rng: random.Random) -> str:
        pick = rng.random() * self._vocab_cum[-1]
        return self.words[bisect.bisect_left(self._vocab_cum, pick)]

    def _entity(self, rng: random.Random, topic: int) -> int:
        cum = self._entity_cum[topic]
        return self._topic_entities[topic][bisect.bisect_left(cum, rng.random() * cum[-1])]

    # ------------------------------------------------------------------ units

    def unit_id(self, i: int) -> uuid.UUID:
        return uuid.UUID(int=self._rng(_K_ID, i).getrandbits(128), version=4)

    def fact_type(self, i: int) -> str:
        x = (i * 0.6180339887498949) % 1.0  # low-discrepancy: exact proportions at any size
        for name, weight in FACT_TYPES_WEIGHTED:
            if x < weight:
                return name
            x -= weight
        return FACT_TYPES_WEIGHTED[-1][0]

    def unit(self, i: int) -> MemoryIn:
        """Unit `i` of the bank (with its deterministic id)."""
        spec = self.spec
        rng = self._rng(_K_UNIT, i)
        topic = self.topic_of[i]
        ents = sorted({self._entity(rng, topic) for _ in range(rng.randint(1, 5))})
        n_words = rng.randint(14, 28)
        words = [
            self._topic_word(rng, topic) if rng.random() < 0.6 else self._any_word(rng)
            for _ in range(n_words)
        ]
        for e in ents:
            words.insert(rng.randrange(len(words) + 1), self.entity_names[e])
        hubs = self.hubs_of(i)
        words.extend(self.hub_names[h] for h in hubs)
        fact_type = self.fact_type(i)
        text = " ".join(words).capitalize() + "."
        vector: array[float] | Any = self._embedding_near(rng, topic)
        if self.sentences is not None:
            text, vector = self.sentences.text(i), self.sentences.embedding(i)
        step = timedelta(seconds=365 * 86400 / max(spec.items, 1))
        event = T0 + step * i
        experience = fact_type == "experience"
        return MemoryIn(
            id=self.unit_id(i),
            text=text,
            embedding=vector,
            fact_type=fact_type,
            context=(
                f"{rng.choice(SOURCES)} with {self.entity_names[ents[0]]}"
                if rng.random() < 0.5
                else None
            ),
            event_date=event,
            occurred_start=event - timedelta(hours=rng.randint(1, 48)) if experience else None,
            occurred_end=event if experience else None,
            mentioned_at=event + timedelta(minutes=rng.randint(0, 600)),
            tags=sorted(set(rng.sample(TAGS, rng.randint(1, 3)))),
            metadata={"source": rng.choice(SOURCES), "turn": i, "topic": topic},
            entities=[EntityIn(self.entity_names[e], self.entity_types[e]) for e in ents]
            + [EntityIn(self.hub_names[h], "org") for h in hubs],
            proof_count=rng.randint(1, 5),
        )

    def hubs_of(self, i: int) -> list[int]:
        """The hub entities unit `i` mentions (from their own stream: none without hubs)."""
        if not self.spec.hubs:
            return []
        rng = self._rng(_K_HUB, i)
        return [h for h in range(self.spec.hubs) if rng.random() < self.spec.hub_share]

    def units(self, start: int, stop: int) -> list[MemoryIn]:
        return [self.unit(i) for i in range(start, stop)]

    def links(self, start: int, stop: int) -> list[LinkIn]:
        """Links whose newer end is in [start, stop) (the other end is older: it exists)."""
        out: list[LinkIn] = []
        for i in range(start, stop):
            prev = self._prev_same_topic[i]
            if prev < 0:
                continue
            rng = self._rng(_K_LINK, i)
            me = self.unit_id(i)
            out.append(LinkIn(me, self.unit_id(prev), "temporal", round(rng.uniform(0.6, 1), 3)))
            members = self._topic_members[self.topic_of[i]]
            other = members[rng.randrange(self._rank_in_topic[i])]
            out.append(LinkIn(self.unit_id(other), me, "semantic", round(rng.uniform(0.2, 1), 3)))
        return out

    def batches(self, size: int, start: int = 0) -> Iterator[tuple[list[MemoryIn], list[LinkIn]]]:
        """The bank's units and links in retain batches, oldest first."""
        for lo in range(start, self.spec.items, size):
            hi = min(lo + size, self.spec.items)
            yield self.units(lo, hi), self.links(lo, hi)

    # ------------------------------------------------------------------ observations

    def observation(self, j: int) -> tuple[str, array[float], list[uuid.UUID]]:
        """Observation `j`: text, embedding and the ids of 2-5 source units of one topic."""
        rng = self._rng(_K_OBS, j)
        topic = rng.randrange(self.spec.topics)
        members = self._topic_members[topic] or array("l", [0])
        sources = sorted({members[rng.randrange(len(members))] for _ in range(rng.randint(2, 5))})
        words = [self._topic_word(rng, topic) for _ in range(rng.randint(8, 16))]
        text = "Observed: " + " ".join(words) + "."
        vector: array[float] | Any = self._embedding_near(rng, topic)
        if self.sentences is not None:  # a restatement of its first source
            text = "Observed: " + self.sentences.text(sources[0])
            vector = self.sentences.embedding(sources[0])
        return text, vector, [self.unit_id(s) for s in sources]

    # ------------------------------------------------------------------ queries

    def query(self, j: int) -> Query:
        if self.sentences is not None:
            i, text, vector = self.sentences.query(j)
            longest = sorted(set(_WORDS.findall(text.lower())), key=lambda w: (-len(w), w))
            return Query(j, self.topic_of[i], vector.tolist(), " or ".join(longest[:2]))
        rng = self._rng(_K_QUERY, j)
        topic = rng.randrange(self.spec.topics)
        ranks = rng.sample(range(0, 8), 2)
        words = [self._topic_words[topic][r] for r in ranks]
        return Query(j, topic, list(self._embedding_near(rng, topic)), " or ".join(words))

    def queries(self, n: int) -> list[Query]:
        return [self.query(j) for j in range(n)]
