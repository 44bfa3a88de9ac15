"""The Huey job queue on both store backends (SQLite file beside the store, PostgreSQL in the store's database):
messages carry job ids only, and a job sent twice still runs once."""

from __future__ import annotations

import threading
import time

from medbridge.jobs import JobContext, JobRunner
from medbridge.jobs.queue import HueyJobQueue
from medbridge.store import open_store


def test_each_job_runs_once_however_often_it_is_sent(backend_settings):
    store = open_store(backend_settings)
    runs: list[str] = []
    lock = threading.Lock()

    def handler(ctx: JobContext):
        with lock:
            runs.append(ctx.job.id)
        time.sleep(0.05)
        return {"n": ctx.params["n"]}, "ok"

    queue = HueyJobQueue(backend_settings)
    runner = JobRunner(store, "count", handler, queue=queue)
    consumer = queue.consumer(runner.run, 3, in_process=True)
    consumer.start()
    try:
        jobs = [runner.submit({"n": n}) for n in range(6)]
        for job in jobs + jobs:  # every message twice, as crash recovery may send it
            runner.start(job.id)
        deadline = time.monotonic() + 60
        while any(runner.get(job.id).state != "done" for job in jobs):
            assert time.monotonic() < deadline, [runner.get(job.id).state for job in jobs]
            time.sleep(0.05)
        time.sleep(0.5)  # the duplicates are consumed too, and do nothing
    finally:
        consumer.stop()
    assert sorted(runs) == sorted(job.id for job in jobs)
    assert [runner.get(job.id).result for job in jobs] == [{"n": n} for n in range(6)]
    store.close()


def test_every_kind_of_job_runs_from_the_queue(settings, fixtures_dir):
    """A translate-corpus job queued by one part of the app is run by this process's worker threads."""
    from openai_endpoint import openai_endpoint

    from medbridge.corpus.ingest import ingest_paths
    from medbridge.services import Services
    from medbridge.settings import LLMSettings

    with openai_endpoint("译文") as (url, requests):
        services = Services(settings.model_copy(update={"llm": LLMSettings(backend="openai", base_url=url, max_retries=0)}))
        assert set(services.job_runners) == {"research", "translate-doc", "fetch", "sync", "index", "translate-corpus"}
        ingest_paths(services.store, [fixtures_dir / "pubmed-29768149.xml"])
        runner = services.translate_corpus_runner
        job = runner.start(runner.submit({"to": "zh", "limit": 1}).id)
        deadline = time.monotonic() + 60
        while (job := runner.get(job.id)).state in ("queued", "running"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        services.close()
    assert job.state == "done" and job.result["translated"] == 1 and requests
