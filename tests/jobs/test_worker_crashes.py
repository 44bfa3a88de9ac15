"""Real ``medbridge worker`` processes on a real store, one killed with SIGKILL mid-job: a second worker takes
the job over once its lease expires and finishes it from its checkpoint, once, with nothing lost or doubled.

The jobs are the real ones: a DOCX made with python-docx from real abstracts (glossary terms only, no model),
an extractive review of the sample corpus, and a fetch from the loopback E-utilities stand-in."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from medbridge.services import Services
from medbridge.settings import MedbridgeSettings, load_settings
from medbridge.store.base import Job
from corpus.pubmed_servers import FakeEutils, load_articles

JOB_SETTINGS = {"run_in": "workers", "lease_s": 2, "recover_every_s": 0.5}
TIMEOUT_S = 240


def settings_at(home: Path, **sections) -> MedbridgeSettings:
    return load_settings(home=home, llm={"backend": "none"}, jobs=JOB_SETTINGS, **sections)


def worker_env(settings: MedbridgeSettings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDBRIDGE_")}
    if settings.store.backend == "postgresql":  # the queue then lives in the same database
        env.update(MEDBRIDGE_STORE__BACKEND="postgresql", MEDBRIDGE_STORE__DSN=settings.store.dsn)
    env.update(MEDBRIDGE_HOME=str(settings.home), MEDBRIDGE_LLM__BACKEND="none",
               **{f"MEDBRIDGE_JOBS__{k.upper()}": str(v) for k, v in JOB_SETTINGS.items()}, **extra)
    return env


@contextmanager
def worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "medbridge", "worker", "--concurrency", "1"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen, wait_s: float = 20) -> None:
    """SIGINT (running jobs finish or hand over), then SIGKILL if it outlasts ``wait_s``."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(wait_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_for(condition: Callable[[], bool], what: str, log: Path) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}; worker log:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.05)


def kill_mid_job(services: Services, job_id: str, env: dict[str, str], log: Path,
                 midway: Callable[[Job], bool]) -> tuple[Job, Job]:
    """Run the job in one worker, SIGKILL it once ``midway(job)``, finish it in a second; (at the kill, final)."""
    store = services.store
    with worker(env, log) as first:
        wait_for(lambda: (job := store.get_job(job_id)).state == "running" and midway(job), "the job to get midway", log)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    at_kill = store.get_job(job_id)
    assert at_kill.state == "running", "the job finished before the worker was killed: make it longer"
    with worker(env, log):
        wait_for(lambda: store.get_job(job_id).state not in ("queued", "running"), "the job to finish", log)
    final = store.get_job(job_id)
    assert final.state == "done", final.message + "\n" + log.read_text(errors="replace")[-3000:]
    assert final.worker != at_kill.worker  # the second worker finished it
    return at_kill, final


def test_document_job_survives_its_worker_killed(backend_settings, tmp_path, abstracts_docx):
    """On both store backends: SQLite with the queue in a file beside it, PostgreSQL with the queue inside."""
    from docx import Document

    upload, count = abstracts_docx
    settings = settings_at(backend_settings.home)
    services = Services(settings)

    jobs = services.document_jobs
    job = jobs.start(jobs.submit(upload, target="zh").id)
    at_kill, final = kill_mid_job(services, job.id, worker_env(settings), tmp_path / "worker.log",
                                  lambda j: len(j.checkpoint.get("segments", {})) >= 16)
    checkpointed = len(at_kill.checkpoint["segments"])
    assert final.result["segments"] == count
    assert final.result["reused"] >= checkpointed  # taken from the checkpoint, not translated again
    assert sorted(p.name for p in jobs.folder(job.id).glob("*.docx")) == ["abstracts.zh.docx", "input.docx"]
    assert len(Document(str(jobs.result_path(job.id, "mono"))).paragraphs) == count
    assert [j.id for j in services.store.list_jobs()] == [job.id]


def test_research_job_survives_its_worker_killed(tmp_path, sample_settings):
    home = tmp_path / "home"
    shutil.copytree(sample_settings.home, home)
    settings = settings_at(home)
    services = Services(settings)
    from medbridge.research import ResearchRequest

    runner = services.research_runner
    job = runner.start(runner.submit(ResearchRequest.create(
        "cerebrospinal fluid biomarkers of Alzheimer disease", settings, "en", 40).params()).id)
    at_kill, final = kill_mid_job(services, job.id, worker_env(settings), tmp_path / "worker.log",
                                  lambda j: "sources" in j.checkpoint)
    review = final.result["review"]
    pmids = [ref["pmid"] for ref in review["references"]]
    assert pmids and len(pmids) == len(set(pmids))  # each source cited once
    assert {s["pmid"] for s in at_kill.checkpoint["sources"]} >= set(pmids)  # the gathered sources were kept
    assert [j.id for j in services.store.list_jobs()] == [job.id]


def test_fetch_job_survives_its_worker_killed(tmp_path, alzheimer_dir):
    articles = load_articles(sorted(alzheimer_dir.glob("*.xml.gz")))
    with FakeEutils(articles) as eutils:
        pubmed = {"eutils_url": eutils.base_url, "efetch_batch": 40, "backoff_s": 0.01, "max_retries": 3}
        settings = settings_at(tmp_path / "home", pubmed=pubmed)
        services = Services(settings)
        env = worker_env(settings, MEDBRIDGE_PUBMED__EUTILS_URL=eutils.base_url, MEDBRIDGE_PUBMED__EFETCH_BATCH="40",
                         MEDBRIDGE_PUBMED__BACKOFF_S="0.01", MEDBRIDGE_PUBMED__MAX_RETRIES="3")
        expected = {a.pmid for a in eutils.matching("cerebrospinal fluid", None, None)}
        runner = services.fetch_runner
        job = runner.start(runner.submit({"query": "cerebrospinal fluid"}).id)
        at_kill, final = kill_mid_job(services, job.id, env, tmp_path / "worker.log",
                                      lambda j: 0 < j.progress_done < j.progress_total)
        stored_at_kill = at_kill.progress_done
        assert set(services.store.all_pmids()) == expected  # nothing lost
        assert final.result["fetched"] + final.result["already_stored"] == len(expected)
        assert final.result["already_stored"] >= stored_at_kill  # batches stored before the kill not fetched again
        efetched = [int(r.params["retstart"]) for r in eutils.requests if r.endpoint == "efetch.fcgi"]
        assert len(efetched) - len(set(efetched)) <= 1  # at most the batch in flight at the kill was asked twice
