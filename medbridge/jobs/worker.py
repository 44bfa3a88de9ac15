"""Consumers of the job queue: ``medbridge worker`` processes, or worker threads of a web process.

Either way a consumer runs every kind of job through the runners ``Services`` builds, and looks for work
left behind: at start every queued job is enqueued again (a message lost with a crash between the store and
the queue), and every ``jobs.recover_every_s`` each running job whose lease expired (its worker was killed)
is enqueued again; the claim in the store decides who runs it, and it resumes from its checkpoint.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from medbridge.jobs.runner import ACTIVE, lease_expired

if TYPE_CHECKING:
    from huey.consumer import Consumer

    from medbridge.jobs.queue import HueyJobQueue
    from medbridge.services import Services

log = logging.getLogger(__name__)


class JobWorker:
    """Runs queued jobs of every kind for one ``Services``."""

    def __init__(self, services: Services, queue: HueyJobQueue):
        self.services = services
        self.queue = queue
        self.settings = services.settings.jobs
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._consumer: Consumer | None = None
        self._recently_enqueued: dict[str, float] = {}

    def run_job(self, job_id: str) -> None:
        """The queue's task: run (or continue) the job through the runner of its kind."""
        job = self.services.store.get_job(job_id)
        if job is None:  # deleted since it was queued
            return
        runner = self.services.job_runners.get(job.kind)
        if runner is None:
            self.services.store.update_job(job_id, state="failed", message=f"no worker runs {job.kind} jobs")
            return
        runner.run(job_id)

    def recover(self, *, queued_too: bool) -> list[str]:
        """Enqueue the running jobs whose lease expired (and, with ``queued_too``, every queued job); returns
        their ids. A job re-sent within one lease is not sent again while its message waits."""
        now = time.monotonic()
        sent = []
        for job in self.services.store.list_jobs(states=ACTIVE, limit=10_000):
            if not (lease_expired(job, self.settings.lease_s) or (queued_too and job.state == "queued")):
                continue
            if now - self._recently_enqueued.get(job.id, -1e9) < self.settings.lease_s:
                continue
            self._recently_enqueued[job.id] = now
            self.queue.enqueue(job.id)
            sent.append(job.id)
        if sent:
            log.info("re-enqueued %d job(s) left behind: %s", len(sent), ", ".join(sent))
        return sent

    def _recover_periodically(self) -> None:
        queued_too = True
        while True:
            try:
                self.recover(queued_too=queued_too)
                queued_too = False
            except Exception:  # the store briefly down: look again next time
                log.warning("could not look for jobs left behind", exc_info=True)
            if self._stop.wait(self.settings.recover_every_s):
                return

    def _start_recovery(self) -> None:
        threading.Thread(target=self._recover_periodically, name="job-recovery", daemon=True).start()

    # -- in a web process --------------------------------------------------------------------------------
    def start(self) -> None:
        """Start consuming in threads of this process (idempotent): ``jobs.run_in = serve``."""
        with self._lock:
            if self._consumer is not None:
                return
            self._consumer = self.queue.consumer(self.run_job, self.settings.concurrency, in_process=True)
            self._consumer.start()
            self._start_recovery()

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            if self._consumer is not None:
                self._consumer.stop()
                self._consumer = None

    # -- as its own process --------------------------------------------------------------------------------
    def serve_forever(self, concurrency: int | None = None) -> None:
        """``medbridge worker``: consume until SIGINT (running jobs finish) or SIGTERM (they stop; a live worker
        resumes them once their lease expires)."""
        consumer = self.queue.consumer(self.run_job, concurrency or self.settings.concurrency, in_process=False)
        self._start_recovery()
        try:
            consumer.run()
        finally:
            self._stop.set()


class ServingQueue:
    """``jobs.run_in = serve``: the queue, consumed by worker threads of this process that start with its first
    job (or with the server)."""

    def __init__(self, worker: JobWorker):
        self.worker = worker

    def enqueue(self, job_id: str) -> None:
        self.worker.start()
        self.worker.queue.enqueue(job_id)
