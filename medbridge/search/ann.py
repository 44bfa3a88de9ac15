"""Approximate nearest neighbours for the e5 vectors: a usearch HNSW graph over 8-bit quantised vectors,
keyed by pmid, kept in step with the float16 vector file it was built from.

Chosen by measurement (benchmarks/search_speed.py, docs/benchmarks.md) against faiss IVF (SQ8, PQ) and
HNSW, and hnswlib: e5 vectors sit in a narrow cone, so IVF cells split true neighbours and needed a large
share of the lists probed to pass recall@100 0.95; HNSW reached it with the fewest distance computations,
and usearch's int8 graph is the smallest and fastest to build of the HNSW ones. The graph only proposes
candidates: each is rescored exactly from the float16 file, so scores are exact and a vector replaced or
deleted since the graph was saved is never returned with a stale score.

The graph mirrors which rows of the vector file it holds (a boolean mask saved beside it); bringing it up
to date is the difference between that mask and the file's live rows: rows that died are removed, new live
rows added. So it follows the change feed through the vector file, in any process, without its own cursor.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np

from medbridge.progress import ProgressEvent, ProgressSink

# HNSW parameters, measured on e5 vectors (docs/benchmarks.md): 16 links per node, 64 candidates while
# inserting; the search beam is at least the number of neighbours asked for.
CONNECTIVITY = 16
EXPANSION_ADD = 64
# Candidates fetched and rescored for any query: on the real sample vectors a beam of 100 found 0.91 of the
# exact top 100, one of 500 (docs/benchmarks.md) over 0.95. At 1M vectors a beam of the 1,000 asked for found
# 0.91 of the top 100 and twice that beam 0.948, so three times the count asked for is fetched (rescoring a row
# costs microseconds).
MIN_CANDIDATES = 500
CANDIDATE_FACTOR = 3
ADD_CHUNK = 65_536  # rows per insert call: progress and memory stay bounded at 40M rows


class AnnGraph:
    """usearch HNSW (int8, cosine) over pmids; ``sync`` makes it hold exactly the live rows of a vector file."""

    def __init__(self, folder: Path, dim: int, threads: int | None = None):
        self.folder = Path(folder)
        self.dim = dim
        self.threads = threads or os.cpu_count() or 1
        self._graph_path = self.folder / "ann.usearch"
        self._meta_path = self.folder / "ann.json"
        self._mask_path = self.folder / "ann_rows.npy"
        self._lock = threading.Lock()
        self._index = None
        self._held = np.zeros(0, bool)  # rows of the vector file the graph holds
        self._generation = -1
        self.unsaved_changes = 0  # rows added or removed since the graph was last read or written

    @staticmethod
    def _new_index(dim: int):
        from usearch.index import Index

        return Index(ndim=dim, metric="cos", dtype="i8", connectivity=CONNECTIVITY, expansion_add=EXPANSION_ADD)

    def exists(self) -> bool:
        return self._meta_path.exists()

    def load(self) -> None:
        """Read the saved graph (if any); the caller then syncs it with the vector file."""
        with self._lock:
            if not self.exists():
                self._index, self._held, self._generation = None, np.zeros(0, bool), -1
                return
            meta = json.loads(self._meta_path.read_text())
            index = self._new_index(self.dim)
            index.load(str(self._graph_path))
            self._index = index
            self._held = np.load(self._mask_path)
            self._generation = int(meta["generation"])
            self.unsaved_changes = 0

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def active(self) -> bool:
        return self._index is not None

    def __len__(self) -> int:
        return 0 if self._index is None else len(self._index)

    def sync(self, pmids: np.ndarray, alive: np.ndarray, generation: int, matrix: np.ndarray,
             progress: ProgressSink | None = None) -> int:
        """Make the graph hold the live rows of the vector file (``matrix`` rows, their ``pmids`` and
        ``alive`` flags, ``generation`` bumped on every compaction). Builds it when absent or when the file
        was compacted since. Returns the rows added."""
        with self._lock:
            if self._index is None or generation != self._generation or len(self._held) > len(pmids):
                self._index = self._new_index(self.dim)
                self._held = np.zeros(0, bool)
                self._generation = generation
            held = np.zeros(len(pmids), bool)
            held[: len(self._held)] = self._held
            gone = np.flatnonzero(held & ~alive)
            if len(gone):
                # a replaced record's old row dies in the same sync that adds its new row: remove first
                self._index.remove(pmids[gone].astype(np.uint64))
                held[gone] = False
                self.unsaved_changes += len(gone)
            new = np.flatnonzero(alive & ~held)
            for done, start in enumerate(range(0, len(new), ADD_CHUNK)):
                rows = new[start : start + ADD_CHUNK]
                vectors = np.asarray(matrix[rows], dtype=np.float32)
                self._index.add(pmids[rows].astype(np.uint64), vectors, threads=self.threads)
                held[rows] = True
                self.unsaved_changes += len(rows)
                if progress:
                    progress(ProgressEvent("vector graph", min(len(new), start + len(rows)), len(new)))
            self._held = held
            return len(new)

    def save(self) -> None:
        """Write the graph, its row mask, then the meta file that makes them current (atomic renames)."""
        with self._lock:
            if self._index is None:
                return
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp_graph = self._graph_path.with_suffix(".tmp")
            self._index.save(str(tmp_graph))
            os.replace(tmp_graph, self._graph_path)
            tmp_mask = self.folder / "ann_rows.tmp.npy"
            np.save(tmp_mask, self._held)
            os.replace(tmp_mask, self._mask_path)
            tmp_meta = self._meta_path.with_suffix(".tmp")
            tmp_meta.write_text(json.dumps({"generation": self._generation, "rows": int(self._held.sum())}))
            os.replace(tmp_meta, self._meta_path)
            self.unsaved_changes = 0

    def renumber(self, kept_rows: np.ndarray, generation: int) -> None:
        """The vector file was compacted to ``kept_rows`` (old row numbers, in order): same pmids, new rows."""
        with self._lock:
            if self._index is None:
                return
            held = np.zeros(max(len(self._held), int(kept_rows.max(initial=-1)) + 1), bool)
            held[: len(self._held)] = self._held
            self._held = held[kept_rows]
            self._generation = generation
            self.unsaved_changes += 1  # the saved mask is of the old numbering

    def drop(self) -> None:
        """Forget the graph (the collection fell below the size where it pays off)."""
        with self._lock:
            self._index, self._held, self._generation = None, np.zeros(0, bool), -1
            for path in (self._meta_path, self._graph_path, self._mask_path):
                path.unlink(missing_ok=True)

    def candidates(self, query: np.ndarray, count: int) -> np.ndarray:
        """pmids of at least ``count`` approximate neighbours (``CANDIDATE_FACTOR`` times as many, and
        ``MIN_CANDIDATES`` for a short list: the caller rescores them exactly, and a wider beam is what keeps the
        true top ones among them)."""
        count = max(count * CANDIDATE_FACTOR, MIN_CANDIDATES)
        with self._lock:  # removals must not run beneath a search
            index = self._index
            if index is None or len(index) == 0:
                return np.zeros(0, np.int64)
            index.expansion_search = count
            matches = index.search(np.asarray(query, np.float32), min(count, len(index)))
            return np.asarray(matches.keys, np.int64)
