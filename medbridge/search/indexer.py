"""Keeps the search index in step with the store by following its change feed.

``SearchIndex.update`` applies the changes after the last applied sequence number in batches — one
lexical commit per batch, then the state file — so an interrupted run resumes where it stopped and a
re-applied batch is harmless (a put replaces, a delete of a missing pmid does nothing). Vectors come
from the shipped sample bundle when the record's embedded text matches, otherwise the pmid joins a
persisted "pending" list that ``embed_pending`` works through (CLI progress bar or a background thread).
Vectors follow the feed with a cursor of their own, so an index built while dense search was off (or
before it existed) gets its vectors on the next update instead of staying empty.
"""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from medbridge.corpus.models import Record
from medbridge.jobs import ACTIVE, JobContext, JobRunner
from medbridge.progress import ProgressEvent, ProgressSink
from medbridge.settings import MedbridgeSettings
from medbridge.store.base import Job, Store
from medbridge.search.dense import Embedder, VectorStore, load_bundled_vectors, passage_text, text_hash
from medbridge.search.lexical import IndexBusyError, write_changes
from medbridge.search.shards import LocalShards, ShardedLexical, build_shard, open_lexical
from medbridge.terms import Terminology

if TYPE_CHECKING:
    from medbridge.cluster import RayEmbedder
    from medbridge.jobs.queue import JobQueue

CHANGE_BATCH = 2_000
COMPACT_WHEN_DEAD = 0.3
# Fewer changes than this go through one process: starting a process per shard costs seconds.
PARALLEL_BUILD_MIN_CHANGES = 20_000
INDEX_BUSY_WAIT_S = 2.0


@dataclass(slots=True)
class UpdateReport:
    applied_changes: int = 0
    indexed: int = 0
    deleted: int = 0
    vectors_from_bundle: int = 0
    pending_embeddings: int = 0


class SearchIndex:
    """Lexical index + vectors under ``settings.index_dir``, following ``store``'s change feed."""

    def __init__(self, settings: MedbridgeSettings, store: Store, terms: Terminology, embedder: Embedder | None = None,
                 batch_embedder: "Embedder | RayEmbedder | None" = None):
        self.settings = settings
        self.store = store
        self.terms = terms
        self.embedder = embedder or Embedder()  # loads the model on first use only
        self.batch_embedder = batch_embedder or self.embedder  # the corpus' passages: here, or Ray tasks
        self.folder = settings.index_dir
        self.folder.mkdir(parents=True, exist_ok=True)
        self.lexical = open_lexical(self.folder, self.terms, settings.search.shards, settings.ray.address)
        self.vectors = VectorStore(self.folder / "dense", ann_min_vectors=settings.search.ann_min_vectors)
        self._state_path = self.folder / "state.json"
        self._pending_path = self.folder / "dense" / "pending.npy"
        self._lock = threading.Lock()
        self._bundle: dict[int, tuple[int, np.ndarray]] | None = None
        if self.applied_seq and (self.lexical.created_empty or self._state().get("shards", 1) != settings.search.shards):
            self._save_state(0, self.vectors_seq)  # a new schema or shard count: the index starts over

    @contextmanager
    def _exclusive(self):
        """One writing process at a time (thread lock inside, file lock across processes)."""
        with self._lock, open(self.folder / "write.lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise IndexBusyError(f"the search index at {self.folder} is being updated by another process") from exc
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- state ------------------------------------------------------------------------------------
    def _state(self) -> dict[str, int]:
        return json.loads(self._state_path.read_text()) if self._state_path.exists() else {}

    @property
    def applied_seq(self) -> int:
        """Last change applied to the lexical index."""
        return int(self._state().get("applied_seq", 0))

    @property
    def vectors_seq(self) -> int:
        """Last change the vectors (and the pending list) were brought in line with. Indexes written before
        vectors had their own cursor lack it and read 0, so their vectors catch up from the start."""
        return int(self._state().get("vectors_seq", 0))

    def _followed_seq(self) -> int:
        """Last change followed by the lexical index and, when dense search is on, by the vectors."""
        return min(self.applied_seq, self.vectors_seq) if self.dense_enabled else self.applied_seq

    def _save_state(self, applied_seq: int, vectors_seq: int) -> None:
        tmp = self._state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"applied_seq": applied_seq, "vectors_seq": vectors_seq, "shards": self.settings.search.shards}))
        os.replace(tmp, self._state_path)

    def pending(self) -> list[int]:
        return np.load(self._pending_path).tolist() if self._pending_path.exists() else []

    def _save_pending(self, pmids: list[int]) -> None:
        tmp = self._pending_path.with_name("pending.tmp.npy")
        np.save(tmp, np.asarray(sorted(set(pmids)), np.int64))
        os.replace(tmp, self._pending_path)

    def behind(self) -> int:
        """Changes in the store not yet applied (to the vectors too, when dense search is on)."""
        return max(0, self.store.last_change() - self._followed_seq())

    @property
    def dense_enabled(self) -> bool:
        return self.settings.search.dense

    def _bundled(self) -> dict[int, tuple[int, np.ndarray]]:
        if self._bundle is None:
            self._bundle = load_bundled_vectors()
        return self._bundle

    # -- updating ---------------------------------------------------------------------------------
    def update(self, progress: ProgressSink | None = None) -> UpdateReport:
        """Apply every change since the last applied one. Raises IndexBusyError if another process writes."""
        report = UpdateReport()
        with self._exclusive():
            self.vectors.refresh()
            if self.applied_seq and isinstance(self.lexical, ShardedLexical) and self.lexical.lost():
                self._save_state(0, self.vectors_seq)  # a shard lost since (its Ray node died): start over
            lexical_seq = self.applied_seq
            vectors_seq = self.vectors_seq  # with dense search off it stays put, to catch up once switched on
            seq = self._followed_seq()
            target = self.store.last_change()
            pending = set(self.pending())
            if seq >= target:
                if self.dense_enabled:
                    self.vectors.update_graph(progress)  # an index older than the graph gets one here
                report.pending_embeddings = len(pending) if self.dense_enabled else 0
                return report
            if target - lexical_seq >= PARALLEL_BUILD_MIN_CHANGES and isinstance(getattr(self.lexical, "shards", None), LocalShards):
                lexical_seq = self._apply_to_shards_in_parallel(lexical_seq, target, report, progress)
                self._save_state(lexical_seq, vectors_seq)
            writer = self.lexical.writer()
            if lexical_seq == 0:
                writer.delete_all()  # applying the feed from its start: whatever the index held goes
            start = seq
            try:
                while changes := self.store.changes_since(seq, limit=CHANGE_BATCH):
                    latest = {change.pmid: change.op for change in changes}  # last op per pmid wins
                    unindexed_changes = [change for change in changes if change.seq > lexical_seq]
                    unindexed = {change.pmid for change in unindexed_changes}
                    records = self.store.get_records([p for p, op in latest.items() if op == "put"])
                    removed = [pmid for pmid in latest if pmid not in records]
                    indexed, deleted = write_changes(writer, unindexed, records)
                    report.indexed += indexed
                    report.deleted += deleted
                    writer.commit()
                    seq = changes[-1].seq
                    if self.dense_enabled:
                        self.vectors.remove(removed)
                        pending -= set(removed) | set(records)  # re-decided below: a bundled vector may now fit
                        pending |= self._sync_vectors(list(records.values()), report)
                        self._save_pending(list(pending))
                        vectors_seq = seq
                    self._save_state(max(lexical_seq, seq), vectors_seq)
                    report.applied_changes += len(unindexed_changes)
                    if progress:
                        progress(ProgressEvent("indexing", seq - start, target - start))
            finally:
                writer.close()
            if self.vectors.dead_fraction() > COMPACT_WHEN_DEAD:
                self.vectors.compact()
            if self.dense_enabled:
                self.vectors.update_graph(progress)
        report.pending_embeddings = len(pending) if self.dense_enabled else 0
        return report

    def _apply_to_shards_in_parallel(self, start: int, target: int, report: UpdateReport, progress: ProgressSink | None) -> int:
        """Bring every shard from ``start`` to ``target``, one process per shard (at most one per core):
        each follows the feed for its own pmids and keeps its own cursor, so an interrupted build resumes
        per shard. Returns ``target``."""
        shards = self.lexical.shards.shards
        workers = min(len(shards), self.settings.search.build_processes or os.cpu_count() or 1)
        context = multiprocessing.get_context("spawn")  # no forked copies of tantivy or SQLite handles
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = [pool.submit(build_shard, self.settings, shard.index.folder, i, len(shards), start, target)
                       for i, shard in enumerate(shards)]
            for done, future in enumerate(as_completed(futures), start=1):
                changes, indexed, deleted = future.result()
                report.applied_changes += changes
                report.indexed += indexed
                report.deleted += deleted
                if progress:
                    progress(ProgressEvent("indexing shards", done, len(shards)))
        return target

    def _sync_vectors(self, records: list[Record], report: UpdateReport) -> set[int]:
        """Take bundled vectors whose text hash matches; return pmids that still need embedding."""
        bundle = self._bundled()
        need: set[int] = set()
        pmids, hashes, vectors = [], [], []
        for record in records:
            digest = text_hash(passage_text(record))
            if self.vectors.has(record.pmid, digest):
                continue
            bundled = bundle.get(record.pmid)
            if bundled is not None and bundled[0] == digest:
                pmids.append(record.pmid)
                hashes.append(digest)
                vectors.append(bundled[1])
            else:
                need.add(record.pmid)
        if pmids:
            self.vectors.add(pmids, hashes, np.stack(vectors))
            report.vectors_from_bundle += len(pmids)
        return need

    def embed_pending(
        self,
        progress: ProgressSink | None = None,
        *,
        limit: int | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> int:
        """Embed records waiting for a vector, saving after every small batch (safe to interrupt)."""
        batch = self.batch_embedder.batch_size()
        todo = self.pending()
        if limit is not None:
            todo = todo[:limit]
        done = 0
        for start in range(0, len(todo), batch):
            if should_stop():
                break
            chunk = todo[start : start + batch]
            records = {
                pmid: record
                for pmid, record in self.store.get_records(chunk).items()
                if not self.vectors.has(pmid, text_hash(passage_text(record)))  # embedded meanwhile
            }
            texts = [passage_text(r) for r in records.values()]
            vectors = self.batch_embedder.embed_passages(texts) if texts else None  # slow part: outside the lock
            with self._exclusive():
                self.vectors.refresh()
                if texts:
                    self.vectors.add(list(records), [text_hash(t) for t in texts], vectors)
                    self.vectors.update_graph()
                self._save_pending(list(set(self.pending()) - set(chunk)))
            done += len(chunk)
            if progress:
                progress(ProgressEvent("embedding", done, len(todo)))
        return done

    def rebuild(self, progress: ProgressSink | None = None) -> UpdateReport:
        """Drop the lexical index and re-apply the whole change feed. Vectors with the same text are kept,
        bundled ones are taken, and the pending list is worked out afresh."""
        with self._exclusive():
            writer = self.lexical.writer()
            try:
                writer.delete_all()
                writer.commit()
            finally:
                writer.close()
            self._save_pending([])
            self._save_state(0, 0)
        return self.update(progress)


def index_runner(index: Callable[[], SearchIndex], store: Store, settings: MedbridgeSettings, *,
                 queue: JobQueue | None = None) -> JobRunner:
    """Index updates as persisted jobs ('index'): the change feed applied to the lexical index and the vectors, then
    the records without a vector embedded. Run by a job worker, not by the web request that would otherwise meet
    the backlog; cancellable between batches and resumable (the index state and the pending list are the checkpoint).
    Fetch and sync jobs queue one when they have stored records; the web app queues one at start when vectors are
    missing (``queue_index_update``)."""

    def handle(ctx: JobContext) -> tuple[dict, str]:
        search_index = index()
        report = UpdateReport()
        # Until caught up: records stored while this job runs belong to it (a second job is not queued meanwhile).
        while True:
            try:
                applied = search_index.update(ctx.report)
            except IndexBusyError:  # another process is applying the feed: wait for it, then apply what is left
                ctx.step("waiting for the index")
                time.sleep(INDEX_BUSY_WAIT_S)
                continue
            report.indexed += applied.indexed
            report.deleted += applied.deleted
            if not search_index.behind():
                break
        embedded = search_index.embed_pending(ctx.report) if search_index.dense_enabled else 0
        waiting = len(search_index.pending()) if search_index.dense_enabled else 0
        result = {"indexed": report.indexed, "deleted": report.deleted, "embedded": embedded, "waiting_for_vectors": waiting}
        return result, f"{report.indexed:,} indexed, {report.deleted:,} removed, {embedded:,} embedded"

    return JobRunner(store, "index", handle, queue=queue, lease_s=settings.jobs.lease_s)


def queue_index_update(runner: JobRunner, owner: str | None = None) -> Job:
    """The index job already waiting or running, or a new one started: updates never pile up."""
    active = runner.store.list_jobs(kind="index", limit=1, states=ACTIVE)
    return active[0] if active else runner.start(runner.submit({}, owner).id)
