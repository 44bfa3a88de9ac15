"""A small generic runner for persisted jobs: state transitions, progress, cancellation, checkpoints, leases.

A job's whole truth lives in the store (state, stage, progress, checkpoint, result, lease), so a run can be
watched from another process, cancelled by writing ``state='cancelled'``, and resumed after a crash from the
last checkpoint. The handler does the work in steps and calls ``ctx.step(...)`` between them: that saves
progress and raises :class:`JobCancelled` when someone cancelled the job meanwhile. A run first claims the job
in the store (of two claims one wins) and renews that lease while it works; a running job whose lease has
expired was left by a dead worker, and the next claim takes it over from its checkpoint. Background runs go
through a :class:`~medbridge.jobs.queue.JobQueue`: the runner enqueues "run job <id>", a consumer calls ``run``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Protocol

from medbridge.errors import MedbridgeError, NotFoundError, StoreError
from medbridge.progress import ProgressEvent
from medbridge.store.base import Job, Store

if TYPE_CHECKING:
    from medbridge.jobs.queue import JobQueue

log = logging.getLogger(__name__)

FINISHED = ("done", "failed", "cancelled")
ACTIVE = ("queued", "running")
DEFAULT_LEASE_S = 60.0


class JobCancelled(Exception):
    """Raised inside a handler at a step boundary once the stored job says 'cancelled', or once another worker
    holds it (this one stalled past its lease and the job was taken over)."""


ProgressListener = Callable[[Job], None]


def process_name() -> str:
    """This process as lease holders are named: host/pid."""
    return f"{socket.gethostname()}/{os.getpid()}"


def lease_expired(job: Job, lease_s: float) -> bool:
    """Running and not renewed for ``lease_s``: its worker died (a live one renews it every ``lease_s / 4``)."""
    if job.state != "running":
        return False
    return (datetime.now(timezone.utc) - datetime.fromisoformat(job.updated_at)).total_seconds() >= lease_s


STORE_OUTAGE_S = 30.0  # how long a job's progress and checkpoint writes wait out a store that went away (a restart)


def _patiently(call: Callable[[], Any]) -> Any:
    """An idempotent store call, repeated while the store is briefly unreachable (a database restarting under a
    running job), so that the job goes on instead of failing; after ``STORE_OUTAGE_S`` the error stands."""
    deadline, delay = time.monotonic() + STORE_OUTAGE_S, 0.5
    while True:
        try:
            return call()
        except StoreError:
            if time.monotonic() + delay > deadline:
                raise
            log.warning("store unreachable; retrying in %.1f s", delay, exc_info=True)
            time.sleep(delay)
            delay = min(2 * delay, 5.0)


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
        """Cancelled, or no longer this run's job (taken over after a stall): either way this run stops."""
        current = _patiently(lambda: self.store.get_job(self.job.id))
        return current is None or current.state == "cancelled" or current.worker != self.job.worker

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
        self.job = _patiently(lambda: self.store.update_job(self.job.id, stage=stage, progress_done=done,
                                                            progress_total=total, message=message))
        if self.listener:
            self.listener(self.job)

    def save(self, **entries: Any) -> None:
        """Merge ``entries`` into the checkpoint and persist it (a resumed run starts from here)."""
        self.checkpoint.update(entries)
        self.job = _patiently(lambda: self.store.update_job(self.job.id, checkpoint=self.checkpoint))


class JobHandler(Protocol):
    def __call__(self, ctx: JobContext) -> tuple[dict[str, Any], str]:
        """Do the work; return (result dict, one-line summary). Raise MedbridgeError for user-facing failures."""


class JobRunner:
    """Runs jobs of one ``kind`` through ``handler``: in the caller's thread (CLI, queue consumers), or in the
    background by way of ``queue`` (web)."""

    def __init__(self, store: Store, kind: str, handler: JobHandler, *, label: str | None = None,
                 queue: JobQueue | None = None, lease_s: float = DEFAULT_LEASE_S):
        self.store = store
        self.kind = kind
        self.handler = handler
        self.label = label or kind  # how messages name these jobs ('document' reads better than 'translate-doc')
        self.queue = queue
        self.lease_s = lease_s

    # -- lookup -----------------------------------------------------------------------------------
    def submit(self, params: dict[str, Any], owner: str | None = None) -> Job:
        return self.store.create_job(self.kind, params, owner)

    def get(self, job_id: str) -> Job:
        job = self.store.get_job(job_id)
        if job is None or job.kind != self.kind:
            raise NotFoundError(f"no {self.label} job {job_id}", key="job_not_found", job=job_id)
        return job

    def list(self, limit: int = 50, owner: str | None = None) -> list[Job]:
        """Newest first; with ``owner``, only that user's."""
        return self.store.list_jobs(self.kind, limit=limit, owner=owner)

    def is_interrupted(self, job: Job) -> bool:
        """Left running by a process that stopped (no heartbeat for the lease); a live worker resumes it."""
        return lease_expired(job, self.lease_s)

    # -- transitions ------------------------------------------------------------------------------
    def cancel(self, job_id: str) -> Job:
        """A queued job stops at once; a running one at its next step boundary."""
        job = self.get(job_id)
        if job.state in FINISHED:
            return job
        return self.store.update_job(job_id, state="cancelled", message="cancelled")

    def run(self, job_id: str, listener: ProgressListener | None = None) -> Job:
        """Claim the job and run (or continue) it in this thread until it is done, failed or cancelled. A job
        that another live worker holds, or that finished meanwhile, is returned as it is."""
        self.get(job_id)
        job = self.store.claim_job(job_id, f"{process_name()}/{uuid.uuid4().hex[:6]}", self.lease_s)
        if job is None:
            return self.get(job_id)
        ctx = JobContext(self.store, job, listener, dict(job.checkpoint))
        with self._renewing_lease(job):
            try:
                result, summary = self.handler(ctx)
            except JobCancelled:
                outcome: dict[str, Any] = {"state": "cancelled", "message": "cancelled; resume to continue"}
            except MedbridgeError as exc:
                outcome = {"state": "failed", "message": _one_line(str(exc))}
            except Exception as exc:  # a crashing job must never take its worker down; the traceback goes to the log
                log.exception("%s job %s crashed", self.kind, job_id)
                outcome = {"state": "failed", "message": _one_line(f"internal error: {type(exc).__name__}: {exc}")}
            else:
                outcome = {"state": "done", "message": summary, "result": result}
        current = self.get(job_id)
        if current.worker != job.worker:  # taken over after a stall: the job is the new holder's now
            return current
        final = self.store.update_job(job_id, **outcome)
        if listener:
            listener(final)
        return final

    def start(self, job_id: str) -> Job:
        """Hand the job to the queue; a consumer (worker thread or process) runs it."""
        if self.queue is None:
            raise ValueError(f"{self.label} jobs have no queue here: run them in the foreground")
        self.queue.enqueue(job_id)
        return self.get(job_id)

    def resume(self, job_id: str, *, background: bool = False, listener: ProgressListener | None = None) -> Job:
        """Continue a cancelled, failed or interrupted job from its checkpoint; one that a live worker is
        running is left to it."""
        job = self.get(job_id)
        if job.state == "done" or (job.state == "running" and not lease_expired(job, self.lease_s)):
            return job
        self.store.update_job(job_id, state="queued", message="resuming")
        if background:
            return self.start(job_id)
        return self.run(job_id, listener)

    @contextmanager
    def _renewing_lease(self, job: Job) -> Iterator[None]:
        """Renew the job's lease every quarter lease while the handler works (also through long model calls)."""
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(self.lease_s / 4):
                try:
                    if not self.store.heartbeat_job(job.id, job.worker):
                        return  # cancelled or taken over: the handler finds out at its next step
                except Exception:  # the store briefly down: try again at the next beat
                    log.warning("could not renew the lease of %s job %s", self.kind, job.id, exc_info=True)

        beat = threading.Thread(target=renew, name=f"lease-{job.id}", daemon=True)
        beat.start()
        try:
            yield
        finally:
            stop.set()
            beat.join()


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]
