"""Embeddings for themes and checks, through the search package's one e5 model (never a second copy)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from medbridge.corpus.models import Record
from medbridge.search.dense import Embedder, passage_text
from medbridge.search.indexer import SearchIndex


def record_vectors(index: SearchIndex, records: Sequence[Record]) -> np.ndarray:
    """One L2-normalised row per record: the search index's vector when it has one, else embedded now."""
    stored: dict[int, np.ndarray] = {}
    if index.dense_enabled:
        vectors = index.vectors
        for record in records:
            vector = vectors.vector(record.pmid)
            if vector is not None:
                stored[record.pmid] = vector
    missing = [r for r in records if r.pmid not in stored]
    if missing:
        embedded = index.embedder.embed_passages([passage_text(r) for r in missing]).astype(np.float32)
        stored.update({r.pmid: v for r, v in zip(missing, embedded)})
    matrix = np.stack([stored[r.pmid] for r in records]).astype(np.float32) if records else np.zeros((0, 384), np.float32)
    return _normalise(matrix)


class SentenceEmbeddings:
    """Sentence vectors memoised for one run (a quote checked twice is embedded once). ``embedder``: the services'
    model (the pipeline and chat pass it); without one, a model of its own, loaded on first use (tests, scripts)."""

    def __init__(self, embedder: Embedder | None = None) -> None:
        self.embedder = embedder or Embedder()
        self._cache: dict[str, np.ndarray] = {}

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per text."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            for text, vector in zip(missing, self.embedder.embed_passages(missing).astype(np.float32)):
                self._cache[text] = vector / (np.linalg.norm(vector) or 1.0)
        return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 384), np.float32)

    def similarity(self, a: str, b: str) -> float:
        if a.strip().lower() == b.strip().lower():
            return 1.0
        first, second = self.vectors([a, b])
        return float(first @ second)


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def kmeans(vectors: np.ndarray, k: int, iterations: int = 25) -> np.ndarray:
    """Cosine k-means with farthest-point seeding from row 0 (the best-ranked record): deterministic."""
    n = len(vectors)
    if k <= 1 or n <= k:
        return np.zeros(n, dtype=int) if k <= 1 else np.arange(n)
    centres = [0]
    while len(centres) < k:
        similarity = (vectors @ vectors[centres].T).max(axis=1)
        centres.append(int(np.argmin(similarity)))
    centroids = vectors[centres].copy()
    labels = np.zeros(n, dtype=int)
    for _ in range(iterations):
        new_labels = np.argmax(vectors @ centroids.T, axis=1)
        if _ and np.array_equal(new_labels, labels):
            break
        labels = new_labels
        for j in range(k):
            members = vectors[labels == j]
            if len(members):
                centroids[j] = _normalise(members.mean(axis=0, keepdims=True))[0]
    return labels
