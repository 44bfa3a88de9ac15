"""Document translation as persisted jobs: progress, cancellation between batches, resume from the checkpoint.

Files live in ``settings.jobs_dir/<job id>/``: the upload as ``input.<ext>``, results written under a temporary
name and renamed, and the job is marked done only after that, so a listed result is always a whole file.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from medbridge.documents.errors import DocumentError
from medbridge.documents.intake import DocumentLimits, check_file
from medbridge.documents.pipeline import (
    DocumentResult,
    DocumentTask,
    SegmentResult,
    translate_document,
)
from medbridge.errors import MedbridgeError, NotFoundError
from medbridge.jobs import JobContext, JobRunner
from medbridge.progress import ProgressEvent, ProgressSink
from medbridge.settings import MedbridgeSettings
from medbridge.store import Job, Store
from medbridge.terms.glossary import load_user_glossary
from medbridge.translate.base import TextTranslator
from medbridge.translate.languages import get_language

if TYPE_CHECKING:
    from medbridge.jobs.queue import JobQueue

JOB_KIND = "translate-doc"

# The caller's sink for pipeline events (the CLI's progress bar) during a foreground run. The runner's handler is
# fixed, so the sink travels beside it; a context variable keeps it to the calling thread, never a background run.
_event_sink: ContextVar[ProgressSink | None] = ContextVar("document_event_sink", default=None)


def output_names(source_name: str, target: str) -> tuple[str, str]:
    """'paper.pdf', 'zh' → ('paper.zh.pdf', 'paper.zh.dual.pdf')."""
    stem, suffix = Path(source_name).stem, Path(source_name).suffix.lower()
    return f"{stem}.{target}{suffix}", f"{stem}.{target}.dual{suffix}"


class DocumentJobs:
    """Document files and checks around a generic JobRunner, which owns state, progress, cancellation and threads;
    the CLI runs jobs in the foreground, the web in threads."""

    def __init__(self, settings: MedbridgeSettings, store: Store, translator_factory: Callable[[], TextTranslator], *,
                 queue: JobQueue | None = None):
        self.settings = settings
        self.store = store
        self.translator_factory = translator_factory
        self.limits = DocumentLimits.from_settings(settings.documents)
        self.runner = JobRunner(store, JOB_KIND, self._translate, label="document", queue=queue,
                                lease_s=settings.jobs.lease_s)

    def submit(
        self,
        upload: Path,
        *,
        target: str,
        source: str = "auto",
        dual: bool = False,
        glossary_csv: Path | None = None,
        original_name: str | None = None,
        owner: str | None = None,
    ) -> Job:
        """Validate the file (type, size, zip bomb) and glossary, then queue the job with both in its folder. A
        rejected file creates no job and leaves nothing behind."""
        name = Path(original_name or upload.name).name
        target = get_language(target).code
        glossary_rows = len(load_user_glossary(glossary_csv)) if glossary_csv else 0
        self.settings.jobs_dir.mkdir(parents=True, exist_ok=True)
        incoming = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.settings.jobs_dir))  # same disk: renamed below
        try:
            stored = incoming / f"input{Path(name).suffix.lower()}"
            shutil.copyfile(upload, stored)
            try:
                check_file(stored, self.limits)
            except DocumentError as exc:
                raise DocumentError(str(exc).replace(stored.name, name)) from exc
            if glossary_csv:
                shutil.copyfile(glossary_csv, incoming / "glossary.csv")
            job = self.runner.submit({"name": name, "target": target, "source": source, "dual": dual}, owner)
            incoming.rename(self.folder(job.id))
        finally:
            shutil.rmtree(incoming, ignore_errors=True)
        return self.store.update_job(job.id, message=f"queued ({glossary_rows} glossary entries)" if glossary_rows else "queued")

    def folder(self, job_id: str) -> Path:
        return self.settings.jobs_dir / job_id

    def get(self, job_id: str) -> Job:
        return self.runner.get(job_id)

    def list(self, limit: int = 50, owner: str | None = None) -> list[Job]:
        return self.runner.list(limit, owner)

    def cancel(self, job_id: str) -> Job:
        """Ask a running job to stop after its current batch; a queued job stops at once."""
        return self.runner.cancel(job_id)

    def run(self, job_id: str, on_event: ProgressSink | None = None) -> Job:
        """Run (or resume) the job in this thread; finished segments in the checkpoint are not translated again."""
        with _events_to(on_event):
            return self.runner.run(job_id)

    def start(self, job_id: str) -> Job:
        """Run the job in a background thread (the web's way)."""
        return self.runner.start(job_id)

    def resume(self, job_id: str, *, background: bool = False, on_event: ProgressSink | None = None) -> Job:
        if background:
            return self.runner.resume(job_id, background=True)
        with _events_to(on_event):
            return self.runner.resume(job_id)

    def result_path(self, job_id: str, which: str) -> Path:
        """The finished file ('mono' or 'dual'); NotFoundError until the job is done."""
        job = self.get(job_id)
        key = {"mono": "output", "dual": "dual_output"}.get(which)
        if job.state != "done" or key is None or not job.result.get(key):
            raise NotFoundError(f"job {job_id} has no {which} result")
        return self.folder(job_id) / job.result[key]

    def _translate(self, ctx: JobContext) -> tuple[dict[str, Any], str]:
        """The runner's handler: the document pipeline with its events, checkpoint and cancellation wired to ``ctx``."""
        params = ctx.params
        folder = self.folder(ctx.job.id)
        source = folder / f"input{Path(params['name']).suffix.lower()}"
        mono_name, dual_name = output_names(params["name"], params["target"])
        glossary_path = folder / "glossary.csv"
        sink = _event_sink.get()
        translated = (0, 0)  # the translate stage's counts, which the job keeps showing through the later stages

        def on_event(event: ProgressEvent) -> None:
            nonlocal translated
            if event.stage == "translate":
                translated = (event.done, event.total)
            # not ctx.step: events also come from inside a batch, and the pipeline stops only between batches,
            # once the finished batch is in the checkpoint
            ctx.progress(event.stage, *translated)
            if sink:
                sink(event)

        def save_checkpoint(segments: dict[str, SegmentResult]) -> None:
            ctx.save(segments={key: segment.to_dict() for key, segment in segments.items()})

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
                on_event=on_event,
                checkpoint={k: SegmentResult.from_dict(v) for k, v in ctx.checkpoint.get("segments", {}).items()},
                save_checkpoint=save_checkpoint,
                cancelled=ctx.cancelled,
            )
        except MedbridgeError as exc:  # the user knows the upload by its name, not by the stored copy's
            raise DocumentError(str(exc).replace(source.name, params["name"])) from exc
        return _public(result), _summary(result)


@contextmanager
def _events_to(sink: ProgressSink | None) -> Iterator[None]:
    token = _event_sink.set(sink)
    try:
        yield
    finally:
        _event_sink.reset(token)


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
