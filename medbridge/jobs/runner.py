"""A small generic runner for persisted jobs: state transitions, progress, cancellation, checkpoints, threads.

A job's whole truth lives in the store (state, stage, progress, checkpoint, result), so a run can be watched
from another process, cancelled by writing ``state='cancelled'``, and resumed after a restart from the last
checkpoint. The handler does the work in steps and calls ``ctx.step(...)`` between them: that saves progress
and raises :class:`JobCancelled` when someone cancelled the job meanwhile.
"""

from __future__ import annotations

from datetime import datetime, timezone

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from medbridge.errors import MedbridgeError, NotFoundError
from medbridge.progress import ProgressEvent
from medbridge.store.base import Job, Store

log = logging.getLogger(__name__)

FINISHED = ("done", "failed", "cancelled")
ACTIVE = ("queued", "running")


class JobCancelled(Exception):
    """Raised inside a handler at a step boundary once the stored job state says 'cancelled'."""


ProgressListener = Callable[[Job], None]


@dataclass
class JobContext:
    """What a handler sees: the job's parameters and checkpoint, and calls to report progress."""

    store: Store
    job: Job
    listener: ProgressListener | None = None
    checkpoint: dict[str, Any] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, Any]:
        return self.job.params

    def cancelled(self) -> bool:
        current = self.store.get_job(self.job.id)
        return current is None or current.state == "cancelled"

    def check_cancelled(self) -> None:
        if self.cancelled():
            raise JobCancelled(self.job.id)

    def step(self, stage: str, done: int = 0, total: int = 0, message: str = "") -> None:
        """Report where the job is; raises JobCancelled if the job was cancelled since the last step."""
        self.check_cancelled()
        self.progress(stage, done, total, message)

    def report(self, event: ProgressEvent) -> None:
        """A stage's progress event as a step (a ``ProgressSink`` for the work a job calls)."""
        self.step(event.stage, event.done, event.total, event.message)

    def progress(self, stage: str, done: int = 0, total: int = 0, message: str = "") -> None:
        """Report where the job is without being a cancellation point: for progress from inside a unit of work
        that must finish (and be checkpointed) before the job may stop."""
        self.job = self.store.update_job(self.job.id, stage=stage, progress_done=done, progress_total=total, message=message)
        if self.listener:
            self.listener(self.job)

    def save(self, **entries: Any) -> None:
        """Merge ``entries`` into the checkpoint and persist it (a resumed run starts from here)."""
        self.checkpoint.update(entries)
        self.job = self.store.update_job(self.job.id, checkpoint=self.checkpoint)


class JobHandler(Protocol):
    def __call__(self, ctx: JobContext) -> tuple[dict[str, Any], str]:
        """Do the work; return (result dict, one-line summary). Raise MedbridgeError for user-facing failures."""


class JobRunner:
    """Runs jobs of one ``kind`` through ``handler``, in the caller's thread (CLI) or a background thread (web)."""

    def __init__(self, store: Store, kind: str, handler: JobHandler, *, label: str | None = None):
        self.store = store
        self.kind = kind
        self.handler = handler
        self.label = label or kind  # how messages name these jobs ('document' reads better than 'translate-doc')
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()

    # -- lookup -----------------------------------------------------------------------------------
    def submit(self, params: dict[str, Any]) -> Job:
        return self.store.create_job(self.kind, params)

    def get(self, job_id: str) -> Job:
        job = self.store.get_job(job_id)
        if job is None or job.kind != self.kind:
            raise NotFoundError(f"no {self.label} job {job_id}", key="job_not_found", job=job_id)
        return job

    def list(self, limit: int = 50) -> list[Job]:
        return self.store.list_jobs(self.kind, limit=limit)

    def is_alive(self, job_id: str) -> bool:
        with self._lock:
            thread = self._threads.get(job_id)
            return thread is not None and thread.is_alive()

    # -- transitions ------------------------------------------------------------------------------
    def cancel(self, job_id: str) -> Job:
        """A queued job stops at once; a running one at its next step boundary."""
        job = self.get(job_id)
        if job.state in FINISHED:
            return job
        return self.store.update_job(job_id, state="cancelled", message="cancelled")

    def run(self, job_id: str, listener: ProgressListener | None = None) -> Job:
        """Run (or continue) the job in this thread until it is done, failed or cancelled."""
        job = self.get(job_id)
        if job.state == "done":
            return job
        # progress counts start afresh: a resumed run reports from its checkpoint, not the previous run's figures
        job = self.store.update_job(job_id, state="running", message="", progress_done=0, progress_total=0)
        ctx = JobContext(self.store, job, listener, dict(job.checkpoint))
        try:
            result, summary = self.handler(ctx)
        except JobCancelled:
            final = self.store.update_job(job_id, state="cancelled", message="cancelled; resume to continue")
        except MedbridgeError as exc:
            final = self.store.update_job(job_id, state="failed", message=_one_line(str(exc)))
        except Exception as exc:  # a crashing job must never take the server down; the traceback goes to the log
            log.exception("%s job %s crashed", self.kind, job_id)
            final = self.store.update_job(job_id, state="failed", message=_one_line(f"internal error: {type(exc).__name__}: {exc}"))
        else:
            final = self.store.update_job(job_id, state="done", message=summary, result=result)
        if listener:
            listener(final)
        return final

    def start(self, job_id: str) -> Job:
        """Run the job in a daemon thread; a job already running here is left alone."""
        with self._lock:
            thread = self._threads.get(job_id)
            if thread is not None and thread.is_alive():
                return self.get(job_id)
            thread = threading.Thread(target=self.run, args=(job_id,), name=f"{self.kind}-{job_id}", daemon=True)
            self._threads[job_id] = thread
            thread.start()
        return self.get(job_id)

    def resume(self, job_id: str, *, background: bool = False, listener: ProgressListener | None = None) -> Job:
        """Continue a cancelled, failed or interrupted job from its checkpoint."""
        job = self.get(job_id)
        if job.state == "done" or self.is_alive(job_id):
            return job
        self.store.update_job(job_id, state="queued", message="resuming")
        if background:
            return self.start(job_id)
        return self.run(job_id, listener)

    def is_interrupted(self, job: Job, stale_after_s: float = 0) -> bool:
        """Active in the store, run by no thread of this process, and unchanged for ``stale_after_s``:
        left behind by a stopped process (another live process would keep updating it)."""
        if job.state not in ACTIVE or self.is_alive(job.id):
            return False
        updated = datetime.fromisoformat(job.updated_at)
        return (datetime.now(timezone.utc) - updated).total_seconds() >= stale_after_s

    def interrupted(self, stale_after_s: float = 0) -> list[Job]:
        """Every job :meth:`is_interrupted` says was left behind."""
        return [job for job in self.list(limit=200) if self.is_interrupted(job, stale_after_s)]


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]
