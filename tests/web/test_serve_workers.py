"""The department set-up as real processes: ``medbridge serve --workers 2 --job-workers 1`` with
``jobs.run_in = workers`` — two web processes that only enqueue, one job worker that runs the jobs — and all
of them stopped together."""

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

from pgcluster import free_port


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_serve_with_web_workers_and_a_job_worker(sample_copy_settings, tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDBRIDGE_")}
    env.update(MEDBRIDGE_HOME=str(sample_copy_settings.home), MEDBRIDGE_LLM__BACKEND="none",
               MEDBRIDGE_JOBS__RUN_IN="workers", MEDBRIDGE_SEARCH__DENSE="false")
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        serve = subprocess.Popen([sys.executable, "-m", "medbridge", "serve", "--port", str(port), "--workers", "2",
                                  "--job-workers", "1"], env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert serve.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the server did not start:\n" + log.read_text(errors="replace")[-3000:]
            try:
                if httpx.get(f"{base}/api/search", params={"q": "tau"}, timeout=30).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        workers = children(serve.pid)
        assert len(workers) >= 3  # two web processes and one job worker

        document = Document()
        for text in ("Amyloid beta in cerebrospinal fluid.", "Tau phosphorylation in Alzheimer disease."):
            document.add_paragraph(text)
        upload = tmp_path / "short.docx"
        document.save(upload)
        with upload.open("rb") as handle:
            created = httpx.post(f"{base}/api/documents/jobs", data={"target": "zh"}, timeout=60,
                                 files={"file": ("short.docx", handle, "application/octet-stream")})
        assert created.status_code == 201, created.text
        job_id = created.json()["id"]
        deadline = time.monotonic() + 180
        while (job := httpx.get(f"{base}/api/documents/jobs/{job_id}", timeout=30).json())["state"] in ("queued", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.5)
        assert job["state"] == "done", job
        assert httpx.get(f"{base}{job['files']['mono']}", timeout=30).status_code == 200
    finally:
        serve.send_signal(signal.SIGINT)
        try:
            serve.wait(60)
        except subprocess.TimeoutExpired:
            serve.kill()
            pytest.fail("serve did not stop on SIGINT")
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in workers):
        assert time.monotonic() < deadline, "worker processes outlived serve"
        time.sleep(0.2)
