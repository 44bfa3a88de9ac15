"""The job queue: "run job <id>" messages on Huey, kept where the store is.

The queue carries nothing but job ids; the store stays each job's truth (state, progress, checkpoint, lease),
so a message delivered twice or re-sent by crash recovery is harmless: only one claim of a job wins. Huey
keeps the messages in SQLite beside the SQLite store (``SqliteHuey``) or in the PostgreSQL store's own
database (``PostgresHuey``, woken by LISTEN/NOTIFY), so no broker is needed with either backend.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable, Protocol

from huey import PostgresHuey, SqliteHuey
from huey.consumer import Consumer

if TYPE_CHECKING:
    from huey.api import Huey

    from medbridge.settings import MedbridgeSettings

QUEUE_NAME = "medbridge-jobs"


class JobQueue(Protocol):
    def enqueue(self, job_id: str) -> None:
        """Ask a consumer to run (or continue) the stored job ``job_id``."""


class _InProcessConsumer(Consumer):
    """Huey's consumer as threads of a process that owns its signals (the web server): no handlers installed."""

    def _set_signal_handlers(self) -> None:
        pass


class HueyJobQueue:
    """The job queue on Huey; the storage opens on first use (a CLI command that runs a job in the
    foreground never touches it)."""

    def __init__(self, settings: MedbridgeSettings):
        self.settings = settings
        self._lock = threading.Lock()
        self._huey: Huey | None = None
        self._run_job: Callable[[str], None] | None = None

    @property
    def huey(self) -> Huey:
        with self._lock:
            if self._huey is None:
                if self.settings.store.backend == "postgresql":
                    huey = PostgresHuey(QUEUE_NAME, dsn=self.settings.store.dsn, results=False)
                else:
                    path = self.settings.sqlite_path.with_name("queue.db")
                    path.parent.mkdir(parents=True, exist_ok=True)
                    huey = SqliteHuey(QUEUE_NAME, filename=str(path), results=False)
                self._task = huey.task(name="run_job")(self._execute)
                self._huey = huey
            return self._huey

    def enqueue(self, job_id: str) -> None:
        self.huey  # registers the task
        self._task(job_id)

    def consumer(self, run_job: Callable[[str], None], concurrency: int, *, in_process: bool) -> Consumer:
        """A consumer running ``run_job(id)`` for each message on ``concurrency`` threads. ``in_process``: inside
        a server that handles its own signals; otherwise Huey's (SIGINT: finish running jobs, SIGTERM: stop)."""
        self._run_job = run_job
        kind = _InProcessConsumer if in_process else Consumer
        # poll an idle SQLite queue at least once a second (PostgreSQL is woken by NOTIFY); no periodic tasks
        return kind(self.huey, workers=concurrency, periodic=False, initial_delay=0.05, max_delay=1.0,
                    worker_type="thread")

    def _execute(self, job_id: str) -> None:
        if self._run_job is None:
            raise RuntimeError("this process enqueues jobs but consumes none")
        self._run_job(job_id)
