"""CLI: ``medbridge translate-doc IN --to LANG [-o OUT] [--dual] [--glossary CSV]`` and ``medbridge doc-jobs``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from medbridge.cli.common import console, err_console, print_json, progress_bar, state
from medbridge.cli.translate import FindingsLanguage, LangOption, _print_problems

if TYPE_CHECKING:  # the document pipeline (PyMuPDF, OCR) loads when a command runs
    from medbridge.documents.jobs import DocumentJobs
    from medbridge.progress import ProgressEvent
    from medbridge.store import Job

STAGE_LABELS = {
    "parse": "reading",
    "find_paragraphs": "finding paragraphs",
    "translate": "translating",
    "check_quality": "checking quality",
    "typeset": "fitting text",
    "render": "writing",
}


def register(app: typer.Typer) -> None:
    app.command("translate-doc")(translate_doc)
    app.command("doc-jobs")(doc_jobs)


def translate_doc(
    ctx: typer.Context,
    source: Annotated[Optional[Path], typer.Argument(help="PDF, DOCX or PPTX to translate.", show_default=False)] = None,
    to: Annotated[str, typer.Option("--to", "-t", help="Target language code (zh, en, ja, ko, fr, de, es, ...).")] = "zh",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Translated file (default: IN.<lang>.<ext> beside IN).")] = None,
    dual: Annotated[bool, typer.Option("--dual", help="Also write a bilingual file (PDF: pages side by side; Word/PowerPoint: paragraphs alternating).")] = False,
    glossary: Annotated[Optional[Path], typer.Option("--glossary", "-g", help="CSV of preferred terms (en,zh); wins over the built-in glossary.")] = None,
    source_lang: Annotated[str, typer.Option("--from", help="Source language code, or auto.")] = "auto",
    resume: Annotated[Optional[str], typer.Option("--resume", help="Continue an interrupted job by its id.")] = None,
    debug_ir: Annotated[bool, typer.Option("--debug-ir", help="Write the document's IR after every stage into the job folder.")] = False,
    lang: LangOption = FindingsLanguage.en,
) -> None:
    """Translate a document keeping its layout; runs as a resumable job."""
    from medbridge.documents.jobs import output_names

    st = state(ctx)
    jobs = st.services.document_jobs
    if resume:
        job = jobs.get(resume)
    elif source is None:
        raise typer.BadParameter("give a file to translate, or --resume JOB", param_hint="IN")
    else:
        job = jobs.submit(source, target=to, source=source_lang, dual=dual, glossary_csv=glossary)
        if debug_ir:
            st.store.update_job(job.id, params={**job.params, "debug": True})
    if not st.quiet:
        err_console.print(f"job {job.id}: {job.params['name']} → {job.params['target']}", highlight=False)
    job = _run_with_progress(jobs, job, quiet=st.quiet)
    if job.state != "done":
        err_console.print(f"error: {job.message}", markup=False, highlight=False)
        if job.state == "cancelled":
            err_console.print(f"resume with: medbridge translate-doc --resume {job.id}", highlight=False)
        raise typer.Exit(1)
    base = source.parent if source is not None and not resume else Path.cwd()
    mono_name, dual_name = output_names(job.params["name"], job.params["target"])
    mono_out = output or base / mono_name
    _copy_atomically(jobs.result_path(job.id, "mono"), mono_out)
    written = [mono_out]
    if job.params.get("dual"):
        dual_out = mono_out.with_name(dual_name) if output is None else output.with_name(f"{output.stem}.dual{output.suffix}")
        _copy_atomically(jobs.result_path(job.id, "dual"), dual_out)
        written.append(dual_out)
    for path in written:
        console.print(str(path), highlight=False, markup=False)
    if not st.quiet:
        _print_findings(job.result, lang.value)
        err_console.print(job.message, highlight=False, markup=False)


def _print_findings(result: dict, lang: str) -> None:
    """The job's QA findings page by page (slide, part), each in context, in ``lang``."""
    from medbridge.documents.pipeline import problem_from_dict
    from medbridge.i18n import translator_for

    ui = translator_for(lang, "documents")
    findings = result.get("findings", [])
    part = None
    for finding in findings:
        if finding["part"] != part:
            part = finding["part"]
            err_console.print(ui(f"part_{finding.get('kind', 'page')}", n=part), highlight=False, markup=False)
        _print_problems([problem_from_dict(finding)], lang)
    more = result.get("findings_total", len(findings)) - len(findings)
    if more > 0:
        err_console.print(ui("findings_more", n=more), highlight=False, markup=False)


def _run_with_progress(jobs: DocumentJobs, job: Job, *, quiet: bool) -> Job:
    if job.state in ("cancelled", "failed", "running"):  # resuming: finished segments come from the checkpoint
        jobs.store.update_job(job.id, state="queued", message="resuming")
    try:
        if quiet:
            return jobs.run(job.id)
        with progress_bar(quiet, transient=True) as progress:
            bar = progress.add_task(STAGE_LABELS["parse"], total=None)

            def on_event(event: ProgressEvent) -> None:
                progress.update(bar, description=STAGE_LABELS.get(event.stage, event.stage), completed=event.done, total=event.total)

            return jobs.run(job.id, on_event=on_event)
    except KeyboardInterrupt:
        return jobs.cancel(job.id)


def doc_jobs(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Jobs as JSON.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="How many recent jobs.")] = 20,
) -> None:
    """Recent document translation jobs with their state and progress."""
    from rich.table import Table

    jobs = state(ctx).services.document_jobs.list(limit)
    if as_json:
        print_json([{"id": j.id, "state": j.state, "name": j.params.get("name"), "target": j.params.get("target"),
                     "done": j.progress_done, "total": j.progress_total, "message": j.message, "result": j.result} for j in jobs])
        return
    table = Table("id", "file", "to", "state", "progress", "message")
    for j in jobs:
        table.add_row(j.id, j.params.get("name", ""), j.params.get("target", ""), j.state,
                      f"{j.progress_done}/{j.progress_total}", j.message)
    console.print(table)


def _copy_atomically(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    temp = dest.with_name(f".{dest.name}.part")
    shutil.copyfile(src, temp)
    os.replace(temp, dest)
