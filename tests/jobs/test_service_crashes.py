"""The other processes a department server depends on, killed mid-job: the web process that runs jobs in its
own threads (`jobs.run_in = serve`, the single-user default) and the PostgreSQL server under a worker. After
the restart the job finishes from its checkpoint, once, and its output is whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from docx import Document

from jobs.test_worker_crashes import TIMEOUT_S, settings_at, stop, wait_for, worker, worker_env
from medbridge.services import Services
from pgcluster import PostgresCluster, free_port


def start_serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "medbridge", "serve", "--port", str(port)], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "serve did not start:\n" + log.read_text(errors="replace")[-3000:]
        time.sleep(0.2)


def test_a_document_job_survives_the_web_process_killed(tmp_path, abstracts_docx):
    upload, paragraphs = abstracts_docx
    settings = settings_at(tmp_path / "home")
    env = {**worker_env(settings), "MEDBRIDGE_JOBS__RUN_IN": "serve", "MEDBRIDGE_INGEST__SAMPLE_ON_FIRST_RUN": "false"}
    port, log = free_port(), tmp_path / "serve.log"
    store = Services(settings).store
    web = start_serve(env, port, log)
    try:
        reply = httpx.post(f"http://127.0.0.1:{port}/api/documents/jobs", timeout=60,
                           files={"file": ("abstracts.docx", upload.read_bytes())}, data={"target": "zh"})
        assert reply.status_code == 201, reply.text
        job_id = reply.json()["id"]
        wait_for(lambda: len(store.get_job(job_id).checkpoint.get("segments", {})) >= 16, "the job to get midway", log)
        web.send_signal(signal.SIGKILL)
        web.wait(10)
        at_kill = store.get_job(job_id)
        assert at_kill.state == "running", "the job finished before the web process was killed: make it longer"
        web = start_serve(env, port, log)  # the restarted server's worker threads find the job left behind
        wait_for(lambda: store.get_job(job_id).state not in ("queued", "running"), "the job to finish", log)
        final = store.get_job(job_id)
        assert final.state == "done", final.message
        assert final.result["segments"] == paragraphs
        assert final.result["reused"] >= len(at_kill.checkpoint["segments"])  # resumed, not started over
        shown = httpx.get(f"http://127.0.0.1:{port}/api/documents/jobs/{job_id}", timeout=30).json()
        translated = httpx.get(f"http://127.0.0.1:{port}{shown['files']['mono']}", timeout=30)
        output = tmp_path / "translated.docx"
        output.write_bytes(translated.content)
        assert len(Document(str(output)).paragraphs) == paragraphs
        assert [j.id for j in store.list_jobs()] == [job_id]
    finally:
        stop(web, 30)


@pytest.fixture
def crashing_cluster():
    """A PostgreSQL cluster of this test's own: it is crashed on purpose."""
    cluster = PostgresCluster().init().start()
    yield cluster
    cluster.remove()


def test_a_document_job_survives_postgresql_crashing_under_its_worker(tmp_path, abstracts_docx, crashing_cluster):
    upload, paragraphs = abstracts_docx
    dsn = crashing_cluster.create_database()
    settings = settings_at(tmp_path / "home", store={"backend": "postgresql", "dsn": dsn})
    env = worker_env(settings, MEDBRIDGE_STORE__BACKEND="postgresql", MEDBRIDGE_STORE__DSN=dsn)
    services = Services(settings)
    jobs = services.document_jobs
    job = jobs.start(jobs.submit(upload, target="zh").id)
    log = tmp_path / "worker.log"
    with worker(env, log) as running:
        wait_for(lambda: len(services.store.get_job(job.id).checkpoint.get("segments", {})) >= 16,
                 "the job to get midway", log)
        crashing_cluster.stop("immediate")  # every backend killed, no checkpoint: crash recovery at the next start
        time.sleep(1)  # the worker's next store calls fail while the server is down
        crashing_cluster.start()
        wait_for(lambda: services.store.get_job(job.id).state not in ("queued", "running"), "the job to finish", log)
        assert running.poll() is None, "the worker died with the database:\n" + log.read_text(errors="replace")[-3000:]
    final = services.store.get_job(job.id)
    assert final.state == "done", final.message + "\n" + log.read_text(errors="replace")[-3000:]
    assert final.result["segments"] == paragraphs
    assert sorted(p.name for p in jobs.folder(job.id).glob("*.docx")) == ["abstracts.zh.docx", "input.docx"]
    assert len(Document(str(jobs.result_path(job.id, "mono"))).paragraphs) == paragraphs
    assert [j.id for j in services.store.list_jobs()] == [job.id]
