"""Document translation as persisted jobs: progress, cancellation between batches, resume from the checkpoint.

Files live in ``settings.jobs_dir/<job id>/``: the upload as ``input.<ext>``, results written under a temporary
name and renamed, and the job is marked done only after that, so a listed result is always a whole file.
"""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path
from typing import Callable

from medbridge.documents.errors import DocumentError, JobCancelled
from medbridge.documents.intake import DocumentLimits, check_file
from medbridge.documents.pipeline import (
    DocumentResult,
    DocumentTask,
    EventSink,
    ProgressEvent,
    SegmentResult,
    translate_document,
)
from medbridge.errors import MedbridgeError, NotFoundError
from medbridge.settings import MedbridgeSettings
from medbridge.store import Job, Store
from medbridge.terms.glossary import load_user_glossary
from medbridge.translate.base import TextTranslator
from medbridge.translate.languages import get_language

JOB_KIND = "translate-doc"
FINISHED = ("done", "failed", "cancelled")
log = logging.getLogger(__name__)


def output_names(source_name: str, target: str) -> tuple[str, str]:
    """'paper.pdf', 'zh' → ('paper.zh.pdf', 'paper.zh.dual.pdf')."""
    stem, suffix = Path(source_name).stem, Path(source_name).suffix.lower()
    return f"{stem}.{target}{suffix}", f"{stem}.{target}.dual{suffix}"


class DocumentJobs:
    """Creates, runs, cancels and resumes document jobs; the CLI runs them in the foreground, the web in threads."""

    def __init__(self, settings: MedbridgeSettings, store: Store, translator_factory: Callable[[], TextTranslator]):
        self.settings = settings
        self.store = store
        self.translator_factory = translator_factory
        self.limits = DocumentLimits.from_settings(settings.documents)
        self._threads: dict[str, threading.Thread] = {}

    def submit(
        self,
        upload: Path,
        *,
        target: str,
        source: str = "auto",
        dual: bool = False,
        glossary_csv: Path | None = None,
        original_name: str | None = None,
    ) -> Job:
        """Validate the file (type, size, zip bomb) and glossary, copy both into the job folder, queue the job."""
        name = Path(original_name or upload.name).name
        target = get_language(target).code
        glossary_rows = len(load_user_glossary(glossary_csv)) if glossary_csv else 0
        job = self.store.create_job(JOB_KIND, {"name": name, "target": target, "source": source, "dual": dual})
        folder = self.folder(job.id)
        folder.mkdir(parents=True, exist_ok=True)
        stored = folder / f"input{Path(name).suffix.lower()}"
        shutil.copyfile(upload, stored)
        try:
            check_file(stored, self.limits)
        except DocumentError as exc:
            self.store.update_job(job.id, state="failed", message=str(exc).replace(stored.name, name))
            shutil.rmtree(folder, ignore_errors=True)
            raise DocumentError(str(exc).replace(stored.name, name)) from exc
        if glossary_csv:
            shutil.copyfile(glossary_csv, folder / "glossary.csv")
        return self.store.update_job(job.id, message=f"queued ({glossary_rows} glossary entries)" if glossary_rows else "queued")

    def folder(self, job_id: str) -> Path:
        return self.settings.jobs_dir / job_id

    def get(self, job_id: str) -> Job:
        job = self.store.get_job(job_id)
        if job is None or job.kind != JOB_KIND:
            raise NotFoundError(f"no document job {job_id}")
        return job

    def list(self, limit: int = 50) -> list[Job]:
        return self.store.list_jobs(JOB_KIND, limit=limit)

    def cancel(self, job_id: str) -> Job:
        """Ask a running job to stop after its current batch; a queued job stops at once."""
        job = self.get(job_id)
        if job.state in FINISHED:
            return job
        return self.store.update_job(job_id, state="cancelled", message="cancelled")

    def run(self, job_id: str, on_event: EventSink | None = None) -> Job:
        """Run (or resume) the job in this thread; finished segments in the checkpoint are not translated again."""
        job = self.get(job_id)
        if job.state == "done":
            return job
        params = job.params
        folder = self.folder(job_id)
        source = folder / f"input{Path(params['name']).suffix.lower()}"
        mono_name, dual_name = output_names(params["name"], params["target"])
        glossary_path = folder / "glossary.csv"
        self.store.update_job(job_id, state="running", message="", progress_total=0, progress_done=0)

        def emit(event: ProgressEvent) -> None:
            fields = {"stage": event.stage}
            if event.stage == "translate":
                fields |= {"progress_done": event.done, "progress_total": event.total}
            self.store.update_job(job_id, **fields)
            if on_event:
                on_event(event)

        def save_checkpoint(checkpoint: dict[str, SegmentResult]) -> None:
            self.store.update_job(job_id, checkpoint={"segments": {k: v.to_dict() for k, v in checkpoint.items()}})

        def cancelled() -> bool:
            current = self.store.get_job(job_id)
            return current is None or current.state == "cancelled"

        checkpoint = {k: SegmentResult.from_dict(v) for k, v in job.checkpoint.get("segments", {}).items()}
        try:
            task = DocumentTask(
                source=source,
                target_lang=params["target"],
                source_lang=params.get("source", "auto"),
                output=folder / mono_name,
                dual_output=folder / dual_name if params.get("dual") else None,
                glossary=load_user_glossary(glossary_path) if glossary_path.exists() else [],
                debug_dir=folder / "debug" if params.get("debug") else None,
            )
            result = translate_document(
                task,
                self.translator_factory(),
                self.limits,
                on_event=emit,
                checkpoint=checkpoint,
                save_checkpoint=save_checkpoint,
                cancelled=cancelled,
            )
        except JobCancelled:
            return self.store.update_job(job_id, state="cancelled", message="cancelled; resume to continue")
        except MedbridgeError as exc:
            return self.store.update_job(job_id, state="failed", message=str(exc).replace(source.name, params["name"]))
        except Exception as exc:  # a crash of one job must not take the server down; the traceback goes to the log
            log.exception("document job %s crashed", job_id)
            return self.store.update_job(job_id, state="failed", message=f"internal error: {type(exc).__name__}: {exc}")
        return self.store.update_job(job_id, state="done", stage="render", message=_summary(result), result=_public(result))

    def start(self, job_id: str) -> None:
        """Run the job in a background thread (the web's way)."""
        thread = threading.Thread(target=self.run, args=(job_id,), name=f"doc-job-{job_id}", daemon=True)
        self._threads[job_id] = thread
        thread.start()

    def resume(self, job_id: str, *, background: bool = False, on_event: EventSink | None = None) -> Job:
        job = self.get(job_id)
        if job.state == "done":
            return job
        if job.state == "running" and job_id in self._threads and self._threads[job_id].is_alive():
            return job
        self.store.update_job(job_id, state="queued", message="resuming")
        if background:
            self.start(job_id)
            return self.get(job_id)
        return self.run(job_id, on_event=on_event)

    def result_path(self, job_id: str, which: str) -> Path:
        """The finished file ('mono' or 'dual'); NotFoundError until the job is done."""
        job = self.get(job_id)
        key = {"mono": "output", "dual": "dual_output"}.get(which)
        if job.state != "done" or key is None or not job.result.get(key):
            raise NotFoundError(f"job {job_id} has no {which} result")
        return self.folder(job_id) / job.result[key]


def _public(result: DocumentResult) -> dict:
    """The result as stored on the job: file names only, so the job folder can move with MEDBRIDGE_HOME."""
    data = result.to_dict()
    data["output"] = result.output.name
    data["dual_output"] = result.dual_output.name if result.dual_output else None
    return data


def _summary(result: DocumentResult) -> str:
    parts = [f"{result.segments} segments translated over {result.parts} {'pages' if result.format == 'pdf' else 'parts'}"]
    if result.ocr_parts:
        parts.append(f"OCR used on page(s) {', '.join(str(p + 1) for p in result.ocr_parts)}")
    problems = sum(result.qa.values())
    parts.append(f"{problems} QA problem(s)" if problems else "no QA problems")
    return "; ".join(parts)


def default_translator(settings: MedbridgeSettings, store: Store) -> TextTranslator:
    """The configured model behind the cached, QA-checked Translator; terms-only when no model is configured."""
    if settings.llm.backend == "none":
        from medbridge.documents.terms_only import TermsOnlyTranslator
        from medbridge.terms.terminology import get_terminology

        return TermsOnlyTranslator(get_terminology())
    from medbridge.llm import get_llm
    from medbridge.translate import Translator

    return Translator(get_llm(settings), store, max_retries=settings.translation.max_retries)
