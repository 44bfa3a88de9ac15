"""The ``medbridge`` command: corpus commands here, each capability's commands in its own module."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from medbridge.cli import accounts as accounts_cli
from medbridge.cli import chat as chat_cli
from medbridge.cli import documents as documents_cli
from medbridge.cli import fetch as fetch_cli
from medbridge.cli import llm as llm_cli
from medbridge.cli import research as research_cli
from medbridge.cli import search as search_cli
from medbridge.cli import translate as translate_cli
from medbridge.cli.common import CLIState, MedbridgeGroup, RayOption, console, err_console, print_json, progress_bar, state
from medbridge.corpus.export import CitationFormat
from medbridge.errors import NotFoundError

if TYPE_CHECKING:  # commands import their libraries when they run, so `medbridge --help` stays quick
    from rich.progress import TaskID

    from medbridge.corpus.models import Record
    from medbridge.progress import ProgressEvent

app = typer.Typer(
    cls=MedbridgeGroup,
    help="medbridge — bilingual (中文/English) biomedical literature workbench.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain click help: Typer's Rich formatter imports Markdown and Traceback renderers (~0.2 s)
)


@app.callback()
def main(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only results.")] = False,
) -> None:
    ctx.obj = CLIState(debug=debug, quiet=quiet)


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="PubMed/MEDLINE XML files (.xml, .xml.gz) or folders.")],
    keep_going: Annotated[bool, typer.Option("--keep-going", help="Continue after a bad file; report failures at the end.")] = False,
    ray_address: RayOption = None,
) -> None:
    """Ingest PubMed/MEDLINE XML (baseline, update files, efetch output, 2016 MedlineCitationSet). On a Ray
    cluster the files are parsed on its nodes; this process stores them."""
    from medbridge.corpus.ingest import IngestError, expand_paths, ingest_paths

    st = state(ctx)
    st.use_ray(ray_address)
    files = expand_paths(paths)
    with progress_bar(st.quiet) as progress:
        task = progress.add_task("ingesting", total=len(files))

        def on_file(event: ProgressEvent) -> None:
            progress.update(task, completed=event.done, total=event.total, description=event.message)

        try:
            report = ingest_paths(st.store, files, keep_going=keep_going, progress=on_file,
                                  workers=st.settings.ingest.workers, cluster=st.settings.ray.address)
        except IngestError as exc:
            progress.stop()
            err_console.print(f"error: {exc}", markup=False, highlight=False)
            raise typer.Exit(1)
    done = [f for f in report.files if f.status == "ingested"]
    unchanged = [f for f in report.files if f.status == "unchanged"]
    if not st.quiet:
        err_console.print(
            f"{len(done)} file(s) ingested ({report.records} records, {report.deletes} deletions), "
            f"{len(unchanged)} unchanged, {len(report.failures)} failed", highlight=False)
    for failure in report.failures:
        err_console.print(f"error: {failure.error}", markup=False, highlight=False)
    if report.failures:
        raise typer.Exit(1)


def _get(st: CLIState, pmid: int) -> Record:
    record = st.store.get_record(pmid)
    if record is None:
        raise NotFoundError(f"PMID {pmid} is not in the corpus")
    return record


@app.command()
def show(
    ctx: typer.Context,
    pmid: Annotated[int, typer.Argument(help="PubMed ID.")],
    as_json: Annotated[bool, typer.Option("--json", help="All fields as JSON.")] = False,
) -> None:
    """Show one record with all its fields."""
    record = _get(state(ctx), pmid)
    if as_json:
        print_json(record.to_dict())
        return
    console.print(f"[bold]{record.title}[/bold]", highlight=False)
    j = record.journal
    console.print(f"{j.title or j.iso_abbreviation} · {record.pub_date.text or record.year} · "
                  f"{j.volume or ''}{f'({j.issue})' if j.issue else ''}{':' + j.pages if j.pages else ''}", highlight=False)
    console.print(f"PMID {record.pmid}" + (f" · DOI {record.doi}" if record.doi else "")
                  + (f" · {record.pmc_id}" if record.pmc_id else ""), highlight=False)
    affiliations = record.affiliations
    names = []
    for author in record.authors:
        marks = ",".join(str(affiliations.index(a) + 1) for a in author.affiliations)
        names.append(author.display_name + (f"[{marks}]" if marks else ""))
    console.print(", ".join(names), highlight=False, markup=False)
    for number, affiliation in enumerate(affiliations, start=1):
        console.print(f"  {number}. {affiliation}", highlight=False, markup=False)
    for section in record.abstract:
        console.print()
        if section.label:
            console.print(f"[bold]{section.label}[/bold]")
        console.print(section.text, highlight=False, markup=False)
    if record.mesh:
        console.print("\n[bold]MeSH[/bold]: " + "; ".join(
            ("*" if m.is_major else "") + m.descriptor for m in record.mesh), highlight=False)
    if record.keywords:
        console.print("[bold]Keywords[/bold]: " + "; ".join(k.text for k in record.keywords), highlight=False)
    if record.article_types:
        console.print("[bold]Type[/bold]: " + "; ".join(record.article_types), highlight=False)


@app.command()
def stats(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Counts as JSON.")] = False,
) -> None:
    """Counts: records, with abstract, deleted, files ingested."""
    from rich.table import Table

    counts = dataclasses.asdict(state(ctx).store.stats())
    if as_json:
        print_json(counts)
        return
    table = Table(show_header=False)
    for key, value in counts.items():
        table.add_row(key.replace("_", " "), f"{value:,}")
    console.print(table)


@app.command()
def export(
    ctx: typer.Context,
    pmids: Annotated[list[int], typer.Argument(help="PubMed IDs.")],
    fmt: Annotated[CitationFormat, typer.Option("--format", "-f", help="Citation format.")] = CitationFormat.ris,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Export citations as RIS, BibTeX or MEDLINE (.nbib)."""
    from medbridge.corpus.export import export_records

    st = state(ctx)
    found = st.store.get_records(pmids)
    missing = [p for p in pmids if p not in found]
    if missing:
        raise NotFoundError(f"PMID {', '.join(map(str, missing))} not in the corpus")
    text = export_records(found.values(), fmt)
    if output:
        output.write_text(text, encoding="utf-8")
        if not st.quiet:
            err_console.print(f"{len(found)} citation(s) written to {output}", highlight=False)
    else:
        typer.echo(text, nl=False)


@app.command("migrate-store")
def migrate_store(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="PostgreSQL connection string, e.g. postgresql://user@host:5432/medbridge.")],
) -> None:
    """Copy the SQLite store into an empty PostgreSQL database (re-run to continue an interrupted copy)."""
    from medbridge.store.migrate import migrate_sqlite_to_postgresql
    from medbridge.store.postgresql import describe_dsn

    st = state(ctx)
    with progress_bar(st.quiet) as progress:
        tasks: dict[str, TaskID] = {}

        def on_progress(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = progress.add_task(table, total=total)
            progress.update(tasks[table], completed=done)

        counts = migrate_sqlite_to_postgresql(st.settings.sqlite_path, to, on_progress=on_progress)
    if not st.quiet:
        err_console.print(
            f"{describe_dsn(to)} holds {counts['records']:,} records, {counts['files']:,} files, "
            f"{counts['changes']:,} changes, {counts['cache']:,} cached entries, {counts['jobs']:,} jobs; "
            'to use it set store.backend = "postgresql" and store.dsn', highlight=False, markup=False)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[Optional[str], typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Web worker processes (each builds its own services).")] = 1,
    job_workers: Annotated[int, typer.Option(
        min=0, help="`medbridge worker` processes to start and stop with the server (for jobs.run_in = workers).")] = 0,
    model_port: Annotated[Optional[int], typer.Option(
        help="Start `medbridge model-server` on this loopback port and have every process use it (one model copy).")] = None,
) -> None:
    """Run the web app (ingests the bundled sample corpus on first run)."""
    import os

    import uvicorn

    from medbridge.accounts import check_exposure
    from medbridge.web.app import create_app, prepare_store

    children = [[sys.executable, "-m", "medbridge", "worker"]] * job_workers
    if model_port:  # before any service is built, here or in a child: they all read the settings from the environment
        children.insert(0, [sys.executable, "-m", "medbridge", "model-server", "--port", str(model_port)])
        os.environ.update(MEDBRIDGE_LLM__BACKEND="openai", MEDBRIDGE_LLM__BASE_URL=f"http://127.0.0.1:{model_port}/v1")
    st = state(ctx)
    host, port = host or st.settings.web.host, port or st.settings.web.port
    check_exposure(st.settings, host)
    with child_processes(children):
        if workers == 1:
            uvicorn.run(create_app(st.services, prepare=True), host=host, port=port, log_level="info")
            return
        prepare_store(st.services)  # once here, before the web processes start
        st.services.close()
        uvicorn.run("medbridge.web.app:served_app", factory=True, workers=workers, host=host, port=port, log_level="info")


@contextmanager
def child_processes(commands: list[list[str]]) -> Iterator[None]:
    """The model server and job workers for the duration of the block, stopped with SIGINT (running jobs finish;
    one that outlasts the wait resumes from its checkpoint in the next worker)."""
    import signal
    import subprocess

    procs = [subprocess.Popen(command) for command in commands]
    try:
        yield
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


@app.command("model-server")
def model_server(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Loopback port.")] = 8090,
    host: Annotated[str, typer.Option(help="Interface (keep it loopback unless a firewall guards it).")] = "127.0.0.1",
) -> None:
    """Serve the embedded model as an OpenAI-compatible API (/v1/chat/completions) for the other processes."""
    import uvicorn

    from medbridge.llm.server import create_model_app
    from medbridge.services import Services

    settings = state(ctx).settings
    local = Services(settings.model_copy(update={"llm": settings.llm.model_copy(update={"backend": "local"})}))
    uvicorn.run(create_model_app(local.llm), host=host, port=port, log_level="warning")


@app.command()
def worker(
    ctx: typer.Context,
    concurrency: Annotated[Optional[int], typer.Option(min=1, help="Jobs run at once (default: jobs.concurrency).")] = None,
) -> None:
    """Run queued jobs of every kind (documents, research, fetch, corpus translations) until stopped; resumes jobs whose worker died."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    state(ctx).services.job_worker.serve_forever(concurrency)


# Each capability adds its own commands.
for module in (search_cli, translate_cli, documents_cli, research_cli, llm_cli, fetch_cli, chat_cli, accounts_cli):
    module.register(app)
