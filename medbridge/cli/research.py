"""``medbridge research "QUESTION"``: a cited, checked review, with progress over the stages; ``--resume JOB_ID``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from medbridge.cli.common import console, err_console, print_json, progress_bar, state

if TYPE_CHECKING:  # the research pipeline loads when the command runs
    from medbridge.store.base import Job


def register(app: typer.Typer) -> None:
    @app.command("research")
    def research_command(
        ctx: typer.Context,
        question: Annotated[Optional[str], typer.Argument(help="The question, in Chinese or English.")] = None,
        lang: Annotated[Optional[str], typer.Option("--lang", help="Language of the review: zh or en (default: the question's).")] = None,
        max_sources: Annotated[Optional[int], typer.Option("--max-sources", min=1, max=200, help="Records to read (default: research.max_sources).")] = None,
        output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the review to a .md, .html or .docx file.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the review, references and verification as JSON.")] = False,
        resume: Annotated[Optional[str], typer.Option("--resume", help="Continue an interrupted or cancelled job by its id.")] = None,
    ) -> None:
        """Write a literature review of the corpus for QUESTION: every finding cited, every citation checked."""
        from medbridge.research import STAGES, ResearchError, ResearchRequest, review_of, to_markdown, write_review

        st = state(ctx)
        if output is not None and output.suffix.lower() not in (".md", ".html", ".docx"):
            raise ResearchError(f"{output.name}: choose an output ending in .md, .html or .docx")
        runner = st.services.research_runner
        if resume:
            job = runner.get(resume)
        elif question:
            job = runner.submit(ResearchRequest.create(question, st.settings, lang, max_sources).params())
        else:
            raise ResearchError('give a question (medbridge research "…") or --resume JOB_ID')
        if not st.quiet:
            err_console.print(f"research job {job.id}", highlight=False)
        with progress_bar(st.quiet or as_json) as progress:
            task = progress.add_task("starting", total=None)

            def show(current: Job) -> None:
                event = current.progress
                step = STAGES.index(event.stage) + 1 if event.stage in STAGES else 0
                label = f"[{step}/{len(STAGES)}] {event.stage}" if step else event.stage
                progress.update(task, description=label, completed=event.done, total=event.total or None)

            job = runner.resume(job.id, listener=show) if resume else runner.run(job.id, listener=show)
        if job.state != "done":
            err_console.print(f"error: research job {job.id} {job.state}: {job.message}", markup=False, highlight=False)
            if job.state == "cancelled" or job.state == "failed":
                err_console.print(f"resume with: medbridge research --resume {job.id}", markup=False, highlight=False)
            raise typer.Exit(1)
        review = review_of(job)
        if output is not None:
            write_review(review, output)
            if not st.quiet:
                err_console.print(f"wrote {output}", highlight=False)
        if as_json:
            print_json({"job": job.id, **job.result["review"]})
        elif output is None:
            console.print(to_markdown(review), markup=False, highlight=False)
        if not st.quiet and not as_json:
            err_console.print(job.message, highlight=False)
