"""Recall: semantic top-k per fact type, full-text top-k, temporal range, graph expansion,
fusion, and one combined call that does them all in three round trips.

`filters` (the recall filter, checked and bound), `arms` (semantic and text statements),
`temporal` (the temporal arm), `expansion` (graph statements), `fusion` (reciprocal-rank
fusion), `mmr` (diversification), `repository` (the repository and `run_recall`).
"""

from repo.repositories.recall.arms import (
    ARMS,
    FULLTEXT,
    FULLTEXT_WHERE,
    SEMANTIC,
    SEMANTIC_EXACT,
)
from repo.repositories.recall.expansion import EXPAND, UNIT_ENTITIES, expand_statement
from repo.repositories.recall.fusion import FusedRow
from repo.repositories.recall.repository import Fetch, RecallRepository, RecallResult, run_recall
from repo.repositories.recall.temporal import ARMS_TEMPORAL, TEMPORAL

__all__ = [
    "ARMS",
    "ARMS_TEMPORAL",
    "EXPAND",
    "FULLTEXT",
    "FULLTEXT_WHERE",
    "SEMANTIC",
    "SEMANTIC_EXACT",
    "TEMPORAL",
    "UNIT_ENTITIES",
    "Fetch",
    "FusedRow",
    "RecallRepository",
    "RecallResult",
    "expand_statement",
    "run_recall",
]
