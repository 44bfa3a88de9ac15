"""``medbridge search``, ``medbridge similar`` and ``medbridge index``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.markup import escape

from medbridge.cli.common import CLIState, RayOption, console, err_console, print_json, progress_bar, state

if TYPE_CHECKING:
    from medbridge.progress import ProgressEvent
    from medbridge.search.engine import Hit, SearchResult


def _print_hit(number: int | None, hit: Hit) -> None:
    prefix = f"{number}. " if number is not None else "- "
    console.print(f"[bold]{prefix}{escape(hit.title)}[/bold]", highlight=False)
    if hit.title_translation:
        console.print(f"   {escape(hit.title_translation)}", highlight=False)
    console.print(f"   [dim]PMID {hit.pmid} · {escape(hit.journal)} · {hit.year or 'n.d.'}[/dim]", highlight=False)
    if hit.missing:
        console.print(f"   [yellow]lacks: {escape(', '.join(hit.missing))}[/yellow]", highlight=False)
    if hit.snippet.text:
        marked, cursor = [], 0
        for start, end in hit.snippet.spans:
            marked.append(escape(hit.snippet.text[cursor:start]) + f"[bold yellow]{escape(hit.snippet.text[start:end])}[/bold yellow]")
            cursor = end
        marked.append(escape(hit.snippet.text[cursor:]))
        console.print("   " + "".join(marked), highlight=False)
    console.print()


def _print_result(result: SearchResult) -> None:
    console.print(f"[dim]searched for:[/dim] {escape(result.interpretation.pubmed_query)}", highlight=False)
    ranking = result.interpretation.ranking_concepts
    if ranking:
        console.print(f"[dim]ranked by, not required:[/dim] {escape(', '.join(c.en for c in ranking))}", highlight=False)
    print_short_set_notice(result, "en")
    shown = f"{result.offset + 1}–{result.offset + len(result.hits)}" if result.hits else "0"
    console.print(f"[dim]{shown} of {result.total:,}[/dim]\n", highlight=False)
    for number, hit in enumerate(result.hits, start=result.offset + 1):
        _print_hit(number, hit)
    print_related(result, "en")


def print_short_set_notice(result: SearchResult, lang: str) -> None:
    """The honest line above a short result set and the fetch command of each concept the corpus lacks."""
    from medbridge.i18n import few_results_notice, translator_for
    from medbridge.search.engine import fetch_command  # the engine loads only when a search runs

    s = translator_for(lang, "search")
    if line := few_results_notice(s, result):
        console.print(f"[yellow]{escape(line)}[/yellow]", highlight=False)
        for concept in result.absent:
            console.print(f"[dim]{escape(s('fetch_concept', concept=s('quote', text=concept.source)))}[/dim] "
                          f"{escape(fetch_command(concept.mesh_name or concept.en))}", highlight=False)


def print_related(result: SearchResult, lang: str) -> None:
    """Related records outside a short result set, apart and labelled."""
    from medbridge.i18n import translator_for

    if result.relaxed:
        console.print(f"[bold]{escape(translator_for(lang, 'search')('related'))}[/bold]\n", highlight=False)
        for hit in result.relaxed:
            _print_hit(None, hit)


def register(app: typer.Typer) -> None:
    @app.command("search")
    def search_command(
        ctx: typer.Context,
        query: Annotated[str, typer.Argument(help='A question in Chinese or English, or PubMed syntax: \'alzheimer disease[mh] AND csf[tiab]\'.')],
        limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="Hits to show.")] = 20,
        offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many hits (paging).")] = 0,
        as_json: Annotated[bool, typer.Option("--json", help="Interpreted query and hits as JSON.")] = False,
        year_from: Annotated[Optional[int], typer.Option("--year-from", help="Published in or after this year.")] = None,
        year_to: Annotated[Optional[int], typer.Option("--year-to", help="Published in or before this year.")] = None,
        publication_type: Annotated[Optional[list[str]], typer.Option("--type", help="Publication type, e.g. Review, 'Randomized Controlled Trial' (repeatable).")] = None,
        journal: Annotated[Optional[list[str]], typer.Option("--journal", help="Journal (MEDLINE abbreviation or full title; repeatable).")] = None,
        language: Annotated[Optional[list[str]], typer.Option("--language", help="Article language code, e.g. eng (repeatable).")] = None,
        has_abstract: Annotated[bool, typer.Option("--has-abstract", help="Only records with an abstract.")] = False,
        sort: Annotated[str, typer.Option("--sort", help="relevance, date or cited_by.")] = "relevance",
    ) -> None:
        """Search the corpus: Chinese or English questions, or PubMed syntax."""
        from medbridge.search import Filters, QuerySyntaxError, SearchOptions, search

        st = state(ctx)
        options = SearchOptions(
            limit=limit,
            offset=offset,
            sort=sort,  # type: ignore[arg-type]  # validated by the engine with a one-line error
            filters=Filters(
                year_from=year_from,
                year_to=year_to,
                publication_types=tuple(publication_type or ()),
                journals=tuple(journal or ()),
                languages=tuple(language or ()),
                has_abstract=True if has_abstract else None,
            ),
        )
        _catch_up(st)
        try:
            result = search(st.services.search_engine, query, options)
        except QuerySyntaxError as exc:
            err_console.print(f"error: {exc}", markup=False, highlight=False)
            err_console.print(exc.pointer(), markup=False, highlight=False)
            raise typer.Exit(1)
        if as_json:
            print_json(result.to_dict())
        else:
            _print_result(result)

    @app.command("similar")
    def similar_command(
        ctx: typer.Context,
        pmid: Annotated[int, typer.Argument(help="PubMed ID of a record in the corpus.")],
        limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=200, help="How many.")] = 10,
        as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
    ) -> None:
        """Articles similar to a record: embedding neighbours, shared MeSH descriptors and references."""
        from medbridge.search import similar_articles

        st = state(ctx)
        _catch_up(st)
        articles = similar_articles(st.services.search_engine, pmid, limit)
        if as_json:
            print_json({"pmid": pmid, "similar": [a.to_dict() for a in articles]})
            return
        for number, article in enumerate(articles, start=1):
            console.print(f"[bold]{number}. {escape(article.title)}[/bold]", highlight=False)
            why = []
            if article.similarity is not None:
                why.append(f"similarity {article.similarity:.2f}")
            if article.shared_mesh:
                why.append("MeSH: " + ", ".join(article.shared_mesh[:4]))
            if article.shared_references:
                why.append(f"{article.shared_references} shared references")
            if article.cites_or_cited:
                why.append("citation link")
            console.print(f"   [dim]PMID {article.pmid} · {escape(article.journal)} · {article.year or 'n.d.'} · {escape('; '.join(why))}[/dim]", highlight=False)

    @app.command("index")
    def index_command(
        ctx: typer.Context,
        rebuild: Annotated[bool, typer.Option("--rebuild", help="Re-index every record from scratch.")] = False,
        no_embed: Annotated[bool, typer.Option("--no-embed", help="Only the lexical index; leave embeddings for later.")] = False,
        ray_address: RayOption = None,
    ) -> None:
        """Bring the search index up to date with the corpus (resumable: interrupt and run again). On a Ray
        cluster the shards are actors on its nodes and passages are embedded by tasks spread over it."""
        st = state(ctx)
        st.use_ray(ray_address)
        index = st.services.search_engine.index
        with progress_bar(st.quiet) as progress:
            tasks: dict[str, int] = {}

            def report(event: ProgressEvent) -> None:
                if event.stage not in tasks:
                    tasks[event.stage] = progress.add_task(event.stage, total=event.total)
                progress.update(tasks[event.stage], completed=event.done, total=event.total)

            summary = index.rebuild(report) if rebuild else index.update(report)
            embedded = 0
            if st.settings.search.dense and not no_embed:
                embedded = index.embed_pending(report)
        if not st.quiet:
            err_console.print(
                f"{summary.indexed:,} indexed, {summary.deleted:,} removed, {summary.vectors_from_bundle:,} vectors "
                f"from the bundle, {embedded:,} embedded, {len(index.pending()):,} waiting for embedding; "
                f"{index.lexical.num_docs():,} records searchable",
                highlight=False,
            )


def _catch_up(st: CLIState) -> None:
    """Index changes not yet applied, with a progress bar when there are many (first run, big ingest)."""
    from medbridge.search.lexical import IndexBusyError

    index = st.services.search_engine.index
    if index.behind() < 500:
        return
    with progress_bar(st.quiet) as progress:
        task = progress.add_task("indexing", total=index.behind())
        try:
            index.update(lambda event: progress.update(task, completed=event.done, total=event.total))
        except IndexBusyError:  # another process is indexing: search what is there
            pass
