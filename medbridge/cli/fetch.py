"""Commands that bring PubMed in from outside: ``fetch`` (a topic through NCBI E-utilities) and ``sync`` (NLM's
baseline and daily update files)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from medbridge.cli.common import err_console, print_json, state
from medbridge.errors import MedbridgeError

if TYPE_CHECKING:  # the HTTP clients load when a command runs
    from medbridge.corpus.eutils import FetchReport
    from medbridge.corpus.sync import SyncProgress


class RateColumn(ProgressColumn):
    """Items per second, from Rich's own speed estimate."""

    def __init__(self, unit: str):
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f} {self.unit}/s" if task.speed else f"– {self.unit}/s", style="progress.data.speed")


def fetch(
    ctx: typer.Context,
    query: Annotated[Optional[str], typer.Argument(help="PubMed query, e.g. \"ketamine depression\" (PubMed syntax works).")] = None,
    max_records: Annotated[Optional[int], typer.Option("--max", min=1, help="Fetch at most N records (newest first).")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Only records published on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD).")] = None,
    pmids: Annotated[Optional[Path], typer.Option("--pmids", help="Fetch the PMIDs listed in FILE (one a line) instead of a query.")] = None,
    api_key: Annotated[Optional[str], typer.Option("--api-key", help="NCBI API key (10 requests/s instead of 3); default pubmed.api_key.")] = None,
    email: Annotated[Optional[str], typer.Option("--email", help="Your e-mail, sent to NCBI as it asks; default pubmed.email.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Fetch a topic from PubMed (NCBI E-utilities) into the corpus; re-running fetches only what is missing."""
    from medbridge.corpus.eutils import EutilsClient, Fetcher, parse_since, read_pmid_file

    if (query is None) == (pmids is None):
        raise MedbridgeError("give a QUERY or --pmids FILE (one of them)")
    if pmids is not None and (max_records is not None or since is not None):
        raise MedbridgeError("--max and --since apply to a QUERY, not to --pmids")
    since_date = parse_since(since) if since else None
    pmid_list = read_pmid_file(pmids) if pmids is not None else None
    st = state(ctx)
    settings = st.settings
    with EutilsClient(settings.pubmed, api_key=api_key, email=email) as client, Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), RateColumn("records"),
        TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), console=err_console, disable=st.quiet,
    ) as progress:
        task = progress.add_task("searching PubMed", total=None, detail="")

        def on_progress(report: FetchReport) -> None:
            progress.update(task, description="fetching", total=report.total, completed=report.done,
                            detail=f"{report.fetched:,} new, {report.already_stored:,} already here")

        fetcher = Fetcher(st.store, client, settings.downloads_dir, on_progress)
        report = fetcher.fetch_pmids(pmid_list) if pmid_list is not None else fetcher.fetch_query(
            query or "", max_records=max_records, since=since_date)
    if as_json:
        print_json({"total": report.total, "fetched": report.fetched, "already_stored": report.already_stored,
                    "not_returned": report.not_returned, "warnings": report.warnings})
    elif not st.quiet:
        err_console.print(
            f"{report.total:,} record(s) matched: {report.fetched:,} fetched, {report.already_stored:,} already in the "
            f"corpus" + (f", {report.not_returned:,} not returned by NCBI" if report.not_returned else ""), highlight=False, soft_wrap=True)
    for warning in report.warnings:
        err_console.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)


def sync(
    ctx: typer.Context,
    baseline: Annotated[bool, typer.Option("--baseline", help="Only the annual baseline files.")] = False,
    updates: Annotated[bool, typer.Option("--updates", help="Only the daily update files.")] = False,
    mirror: Annotated[Optional[str], typer.Option("--mirror", help="Folder holding baseline/ and updatefiles/: URL or file:// path; default pubmed.mirror_url.")] = None,
    max_files: Annotated[Optional[int], typer.Option("--max-files", min=1, help="Bring in at most N files this run.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Bring in NLM's PubMed files (baseline, then daily updates) not yet ingested; MD5-checked, resumable, cron-safe."""
    from medbridge.corpus.sync import Syncer, open_mirror

    st = state(ctx)
    settings = st.settings
    source = open_mirror(mirror or settings.pubmed.mirror_url, settings)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[amount]}"), TimeElapsedColumn(),
        console=err_console, disable=st.quiet,
    ) as progress:
        files_task = progress.add_task("listing the mirror", total=None, amount="")
        bytes_task = progress.add_task("", total=None, visible=False, amount="")

        def on_progress(event: SyncProgress) -> None:
            # Downloads run one file ahead of ingesting: each has its own line.
            if event.stage == "download":
                speed = progress.tasks[bytes_task].speed
                amount = f"{event.bytes_done / 1e6:,.1f}/{(event.bytes_total or 0) / 1e6:,.1f} MB" + (
                    f" at {speed / 1e6:,.1f} MB/s" if speed else "")
                progress.update(bytes_task, visible=True, description=f"downloading {event.name}",
                                total=event.bytes_total, completed=event.bytes_done, amount=amount)
                return
            if event.stage == "verify":
                progress.update(bytes_task, description=f"checking the MD5 of {event.name}")
                return
            progress.update(files_task, description=f"{event.stage} {event.name}", total=event.files_total,
                            completed=event.files_done, amount=f"{event.files_done}/{event.files_total} files")
            if event.files_done == event.files_total:
                progress.update(bytes_task, visible=False)

        try:
            report = Syncer(st.store, settings, source, on_progress).run(
                baseline=baseline or not updates, updates=updates or not baseline, max_files=max_files)
        finally:
            source.close()
    if as_json:
        print_json(dataclasses.asdict(report))
    elif not st.quiet:
        err_console.print(
            f"{len(report.ingested)} file(s) ingested ({report.records:,} records, {report.deletes:,} deletions), "
            f"{report.pending - len(report.ingested)} still to do, {report.downloaded_bytes / 1e6:,.1f} MB downloaded",
            highlight=False, soft_wrap=True)
    if report.waiting:
        err_console.print(f"note: {report.waiting} has no .md5 on the mirror yet; stopped before it (run again later)",
                          markup=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command()(fetch)
    app.command()(sync)
