"""``medbridge chat`` (a search conversation) and ``medbridge citations import`` (the citation graph)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.markup import escape

from medbridge.cli.common import CLIState, console, err_console, print_json, state
from medbridge.cli.search import print_related, print_short_set_notice

if TYPE_CHECKING:  # the search package loads when a command runs
    from medbridge.search.conversation import Conversations, TurnResult

SHOWN = 10
EXIT_WORDS = {"exit", "quit", "q", "退出", "结束"}


def _print_turn(result: TurnResult) -> None:
    data = result.to_dict()
    lang = result.turn.language
    console.print(f"[green]{escape(data['reply'])}[/green]", highlight=False)
    if data["summary"]:
        summary = data["summary"]
        console.print(f"[bold]{escape(summary['title_zh'] or summary['title'])}[/bold]", highlight=False)
        for point in summary["points"]:
            console.print(f"  [dim]{escape(point['label'] or '')}[/dim] {escape(point['text'])}", highlight=False)
    chips = " ".join(f"[{escape(c['label'])}]" for c in data["chips"])
    console.print(f"[dim]{'条件' if lang == 'zh' else 'state'}:[/dim] {chips}", highlight=False)
    console.print(f"[dim]{'检索式' if lang == 'zh' else 'query'}:[/dim] {escape(data['query'])}", highlight=False)
    console.print(f"[dim]{data['total']:,} {'条结果' if lang == 'zh' else 'results'}[/dim]", highlight=False)
    for number, hit in enumerate(data["hits"][:SHOWN], start=1):
        console.print(f"[bold]{number}. {escape(hit['title'])}[/bold]", highlight=False)
        types = ", ".join(hit["publication_types"][:2])
        console.print(f"   [dim]PMID {hit['pmid']} · {hit['year'] or 'n.d.'} · {escape(types)} · cited by {hit['cited_by']}[/dim]", highlight=False)
        recommendation = hit.get("recommendation")
        if recommendation:
            console.print("   " + escape("；".join(recommendation["reasons"]) if lang == "zh" else escape("; ".join(recommendation["reasons"]))), highlight=False)
            if recommendation["quote"]:
                console.print(f"   “{escape(recommendation['quote'])}”", highlight=False, style="italic")
    if result.search is not None:  # a short set: say so, offer the fetch, list related records apart
        print_short_set_notice(result.search, lang)
        print_related(result.search, lang)
    console.print()


def _print_answer(st: CLIState, result: TurnResult) -> None:
    """The verified short answer, sentence by sentence as the model finishes each."""
    from medbridge.research.vectors import SentenceEmbeddings
    from medbridge.research.verify import Verifier
    from medbridge.search.answer import answer_sentences

    services = st.services
    if not services.has_llm:
        err_console.print("no answer: no language model configured (llm.backend = none)", highlight=False)
        return
    lang = result.conversation.turns[0].language
    translator = services.translator if lang == "zh" else None
    records = st.store.get_records(h.pmid for h in result.hits)
    for event in answer_sentences(services.llm, result.conversation.question, lang,
                                  [records[h.pmid] for h in result.hits if h.pmid in records], result.recommendations,
                                  verifier=Verifier(services.terminology, SentenceEmbeddings(services.embedder)), translator=translator):
        if event["type"] == "sentence":
            console.print(escape(event["text"]) + " " + " ".join(f"[PMID {p}]" for p in event["citations"]), highlight=False)
        elif event["type"] == "done" and event["removed"]:
            err_console.print(f"{event['removed']} unsupported sentence(s) removed", highlight=False)


def _last_state(result: TurnResult) -> dict:
    data = result.to_dict()
    return {
        "conversation": data["conversation"],
        "reply": data["reply"],
        "summary": data["summary"],
        "query": data["query"],
        "filters": data["filters"],
        "concepts": data["concepts"],
        "excluded": data["excluded"],
        "sort": data["sort"],
        "similar_to": data["similar_to"],
        "chips": data["chips"],
        "total": data["total"],
        "hits": [
            {key: hit.get(key) for key in ("pmid", "title", "year", "journal", "publication_types", "cited_by", "recommendation")}
            for hit in data["hits"]
        ],
        "relaxed": [{key: hit.get(key) for key in ("pmid", "title", "year", "journal", "missing")} for hit in data["relaxed"]],
        "absent": data["absent"],
        "fetch": data["fetch"],
    }


def register(app: typer.Typer) -> None:
    @app.command("chat")
    def chat_command(
        ctx: typer.Context,
        turns: Annotated[Optional[list[str]], typer.Argument(help="Turns to run in order, e.g. '阿尔茨海默病的炎症' '只看近五年的' '按被引次数排序'.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Run the turns and print the last state (query, filters, concepts, hits) as JSON.")] = False,
        reopen: Annotated[Optional[str], typer.Option("--open", help="Continue a saved conversation (its id).")] = None,
        answer: Annotated[bool, typer.Option("--answer", help="After the turns, a short answer over the top records (needs a model; every sentence verified).")] = False,
    ) -> None:
        """Search as a conversation: each turn refines the last (add or drop concepts, years, study types,
        humans only, sort by citations, "第3篇的类似文章", "第2篇讲了什么", undo). Interactive without TURNs."""
        from medbridge.search import open_conversations

        st = state(ctx)
        conversations: Conversations = open_conversations(st.services.search_engine)
        conversation = conversations.get(reopen) if reopen else conversations.start()
        result: TurnResult | None = None
        for turn in turns or []:
            result = conversations.say(conversation, turn)
            if not as_json:
                console.print(f"[bold cyan]> {escape(turn)}[/bold cyan]", highlight=False)
                _print_turn(result)
        if as_json:
            print_json(_last_state(result or conversations.results(conversation)))
            return
        if turns:
            if answer and result is not None:
                _print_answer(st, result)
            if not st.quiet:
                err_console.print(f"conversation {conversation.id}", highlight=False)
            return
        err_console.print(f"conversation {conversation.id} — 输入问题或追问（撤销 / undo；退出 / exit）", highlight=False)
        while True:
            try:
                text = console.input("[bold cyan]> [/bold cyan]")
            except (EOFError, KeyboardInterrupt):
                break
            if text.strip().lower() in EXIT_WORDS:
                break
            if text.strip():
                _print_turn(conversations.say(conversation, text))

    citations = typer.Typer(help="The citation graph: cited-by counts, references and citing records.", no_args_is_help=True, rich_markup_mode=None)

    @citations.command("import")
    def citations_import(
        ctx: typer.Context,
        file: Annotated[Path, typer.Argument(help="CSV with the header citing,referenced (NIH Open Citation Collection), plain or gzipped.")],
    ) -> None:
        """Import citation pairs (streaming, resumable: run it again after an interruption)."""
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        from medbridge.corpus.citations import import_citations

        st = state(ctx)
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err_console, disable=st.quiet) as progress:
            task = progress.add_task(f"reading {file.name}", total=None)
            report = import_citations(st.store, file, on_progress=lambda rows: progress.update(task, description=f"{rows:,} rows"))
        if report.already_imported:
            err_console.print(f"{report.name} was already imported ({report.lines:,} rows)", highlight=False)
        elif not st.quiet:
            resumed = f", resumed after {report.resumed_from:,}" if report.resumed_from else ""
            err_console.print(f"{report.lines:,} rows read{resumed}, {report.added:,} new citation pairs", highlight=False)

    app.add_typer(citations, name="citations")
