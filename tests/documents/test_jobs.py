"""Persisted document jobs: progress, cancellation between batches, resume (also by a new process) without
re-translating finished segments, failures recorded, and no result offered before the file is whole."""

from __future__ import annotations

import time

import pytest

from medbridge.documents.errors import DocumentError
from medbridge.documents.jobs import DocumentJobs
from medbridge.documents.pipeline import BATCH_SIZE
from medbridge.errors import NotFoundError
from medbridge.services import Services
from medbridge.settings import LLMSettings


@pytest.fixture
def jobs(settings, store, terms_translator):
    return DocumentJobs(settings, store, lambda: terms_translator)


def test_job_runs_to_done_with_progress_and_summary(jobs, sample_dir):
    job = jobs.submit(sample_dir / "paper.pdf", target="zh", dual=True, glossary_csv=sample_dir / "glossary.csv")
    assert job.state == "queued" and "glossary entries" in job.message
    stages = []
    job = jobs.run(job.id, on_event=lambda e: stages.append(e.stage))
    assert job.state == "done", job.message
    assert job.progress_done == job.progress_total == job.result["segments"] == 14
    assert stages[0] == "parse" and stages[-1] == "render"
    assert jobs.result_path(job.id, "mono").name == "paper.zh.pdf"
    assert jobs.result_path(job.id, "dual").name == "paper.zh.dual.pdf"
    assert "segments translated" in job.message and job.result["qa"] == {}


def test_cancel_then_resume_in_a_new_process_skips_finished_segments(settings, store, terms_translator, sample_dir):
    first = DocumentJobs(settings, store, lambda: terms_translator)
    job = first.submit(sample_dir / "paper.pdf", target="zh")

    def cancel_after_first_batch(event):
        if event.stage == "translate" and event.done >= BATCH_SIZE:
            first.cancel(job.id)

    job = first.run(job.id, on_event=cancel_after_first_batch)
    assert job.state == "cancelled"
    assert len(job.checkpoint["segments"]) == BATCH_SIZE
    with pytest.raises(NotFoundError):
        first.result_path(job.id, "mono")
    assert not list(first.folder(job.id).glob("*.zh.pdf"))  # no partial output presented

    restarted = DocumentJobs(settings, store, lambda: terms_translator)  # as after a server restart
    progress = []
    store.update_job(job.id, state="running")  # the first process died mid-run, leaving its lease to expire
    restarted.runner.lease_s = 1
    time.sleep(2.1)  # the store keeps whole seconds
    job = restarted.resume(job.id, on_event=lambda e: progress.append((e.stage, e.done, e.message)))
    assert job.state == "done"
    assert job.result["reused"] == BATCH_SIZE
    first_translate = next(p for p in progress if p[0] == "translate")
    assert first_translate == ("translate", BATCH_SIZE, "resumed")
    assert restarted.result_path(job.id, "mono").is_file()


def test_background_run_and_cancel_of_finished_job(settings, store, sample_dir, terms_translator):
    services = Services(settings.model_copy(update={"llm": LLMSettings(backend="none")}), store=store,
                        terminology=terms_translator.terminology)
    jobs = services.document_jobs  # queued, run by this process's worker threads
    job = jobs.submit(sample_dir / "report.docx", target="zh")
    jobs.start(job.id)
    deadline = time.monotonic() + 60
    while jobs.get(job.id).state not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert jobs.get(job.id).state == "done"
    assert jobs.cancel(job.id).state == "done"  # finished work is not undone
    services.close()


def test_bad_upload_is_refused_and_creates_no_job(jobs, sample_dir, tmp_path):
    fake = tmp_path / "fake.pdf"
    fake.write_bytes((sample_dir / "report.docx").read_bytes())
    with pytest.raises(DocumentError, match="fake.pdf: the name says PDF but the content is DOCX"):
        jobs.submit(fake, target="zh")
    assert jobs.list() == []  # rejected uploads no longer pile up as failed jobs
    assert list(jobs.settings.jobs_dir.iterdir()) == []  # and leave no file behind


def test_failure_while_running_is_a_failed_job(jobs, sample_dir, tmp_path):
    blank = tmp_path / "blank.pdf"
    import pymupdf

    with pymupdf.open() as doc:
        doc.new_page().insert_text((72, 72), "Alzheimer disease", fontsize=11)
        doc.save(blank)
    job = jobs.submit(blank, target="zh")
    (jobs.folder(job.id) / "input.pdf").write_bytes(b"%PDF-1.4 damaged after upload")
    job = jobs.run(job.id)
    assert job.state == "failed" and "blank.pdf: damaged PDF" in job.message
    with pytest.raises(NotFoundError):
        jobs.result_path(job.id, "mono")
