"""CLI: ``medbridge translate``, ``medbridge qa`` and ``medbridge translate-corpus``."""

from __future__ import annotations

from dataclasses import asdict
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from medbridge.cli.common import RayOption, console, err_console, print_json, progress_bar, state
from medbridge.errors import MedbridgeError, NotFoundError

if TYPE_CHECKING:  # the translation package loads when a command runs
    from medbridge.store import Job
    from medbridge.terms import GlossaryEntry
    from medbridge.translate import QAProblem

GlossaryOption = Annotated[
    Optional[Path], typer.Option("--glossary", help="CSV of your own terms (en,zh[,category,mesh_ui]); they win over built-ins.")
]


def _read_text(value: str) -> str:
    path = Path(value)
    if len(value) < 4096 and "\n" not in value and path.is_file():
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise MedbridgeError(f"{path}: not UTF-8 text") from exc
    return value


def _read_file(path: Path) -> str:
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise MedbridgeError(f"{path}: not UTF-8 text") from exc


def _glossary(path: Path | None) -> list[GlossaryEntry] | None:
    from medbridge.terms.glossary import load_user_glossary

    return load_user_glossary(path) if path else None


class FindingsLanguage(str, Enum):
    en = "en"
    zh = "zh"


LangOption = Annotated[FindingsLanguage, typer.Option("--lang", help="Language of the findings.")]


def _print_problems(problems: list[QAProblem], lang: str = "en") -> None:
    """Each finding in the UI language, then its sentence with the fault between »…« and the source sentence."""
    from medbridge.translate.qa_messages import fault_in_sentence, localise

    for p in problems:
        where = f"segment {p.segment}: " if p.segment is not None else ""
        err_console.print(f"{p.severity}: [{p.check}] {where}{localise(p, lang)}", markup=False, highlight=False, soft_wrap=True)
        context = fault_in_sentence(p)
        if context:
            before, fault, after = context
            err_console.print(f"    {before}»{fault}«{after}", markup=False, highlight=False, soft_wrap=True)
        if p.source_sentence:
            err_console.print(f"    ← {p.source_sentence}", markup=False, highlight=False, soft_wrap=True)


def translate_command(
    ctx: typer.Context,
    text_or_file: Annotated[str, typer.Argument(help="Text to translate, or a UTF-8 text file (paragraphs = lines).")],
    to: Annotated[str, typer.Option("--to", help="Target language: zh, zh-Hant, en, ja, ko, es, fr, de, pt, ru, it, pl, ar.")],
    from_: Annotated[Optional[str], typer.Option("--from", help="Source language (default: zh if the text is mostly Chinese, else en).")] = None,
    glossary: GlossaryOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the translation and its QA problems as JSON.")] = False,
    lang: LangOption = FindingsLanguage.en,
) -> None:
    """Translate a text or file with the configured LLM, glossary and QA; flagged passages are reported on stderr."""
    from medbridge.text import guess_language
    from medbridge.translate import get_language

    st = state(ctx)
    text = _read_text(text_or_file)
    source = get_language(from_ or guess_language(text)).code
    target = get_language(to).code
    translator = st.services.translator
    result = translator.translate(text, source=source, target=target, glossary=_glossary(glossary))
    if as_json:
        print_json({"source_lang": source, "target_lang": target, **asdict(result)})
        return
    console.print(result.target, markup=False, highlight=False, soft_wrap=True)
    if not st.quiet:
        _print_problems(result.problems, lang.value)
        if result.flagged:
            err_console.print("warning: the translation did not pass QA; check the problems above", highlight=False)


def qa_command(
    ctx: typer.Context,
    source_file: Annotated[Path, typer.Argument(help="Source text (UTF-8).")],
    target_file: Annotated[Path, typer.Argument(help="Its translation (UTF-8); paragraphs are paired line by line when the counts match.")],
    from_: Annotated[Optional[str], typer.Option("--from", help="Source language (default: guessed, zh or en).")] = None,
    to: Annotated[Optional[str], typer.Option("--to", help="Target language (default: guessed, zh or en).")] = None,
    glossary: GlossaryOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the problems as JSON.")] = False,
    lang: LangOption = FindingsLanguage.en,
) -> None:
    """Check an existing translation (no model needed): untranslated text, terms, numbers and units, omissions,
    additions, loops, injected content, misspelt terms, names, kept spans, wrong language, reversed directions,
    negations and renamed statistics. Each finding is printed in context. Exits 1 when there are errors."""
    from medbridge.text import guess_language
    from medbridge.translate import get_language, qa_report

    source_text, target_text = _read_file(source_file), _read_file(target_file)
    source = get_language(from_ or guess_language(source_text)).code
    target = get_language(to or guess_language(target_text)).code
    problems = qa_report(source_text, target_text, source, target, state(ctx).services.terminology, glossary=_glossary(glossary))
    errors = sum(p.severity == "error" for p in problems)
    if as_json:
        print_json({"source_lang": source, "target_lang": target, "errors": errors, "problems": [asdict(p) for p in problems]})
    else:
        _print_problems(problems, lang.value)
        if not state(ctx).quiet:
            err_console.print(f"{errors} error(s), {len(problems) - errors} warning(s)", highlight=False)
    if errors:
        raise typer.Exit(1)


def translate_corpus_command(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="Target language.")] = "zh",
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="Translate at most this many records (cached ones are skipped, not counted).")] = None,
    abstracts: Annotated[bool, typer.Option("--abstracts", help="Translate abstract sections too, not only titles.")] = False,
    glossary: GlossaryOption = None,
    ray_address: RayOption = None,
) -> None:
    """Translate the corpus' titles (and abstracts) into the cache that article pages read. Safe to interrupt
    and re-run: records already translated are skipped. Runs fine in the background (nohup … &). On a Ray
    cluster a model worker on each node translates."""
    from medbridge.translate import get_language

    st = state(ctx)
    st.use_ray(ray_address)
    target = get_language(to).code
    _glossary(glossary)  # a bad file is an error now, not a failed job
    runner = st.services.translate_corpus_runner
    job = runner.submit({"to": target, "limit": limit, "abstracts": abstracts,
                         "glossary": str(glossary.resolve()) if glossary else None})
    try:
        with progress_bar(st.quiet) as progress:
            task = progress.add_task(f"translating to {target}", total=None)

            def show(current: Job) -> None:
                progress.update(task, completed=current.progress_done, total=current.progress_total or None,
                                description=current.message or f"translating to {target}")

            job = runner.run(job.id, listener=show)
    except KeyboardInterrupt:
        job = runner.cancel(job.id)  # not left running for a worker to take over
        err_console.print(f"interrupted after {job.progress_done} record(s); re-run to continue", highlight=False)
        raise typer.Exit(130)
    if job.state != "done":
        raise MedbridgeError(job.message)
    if not st.quiet:
        err_console.print(job.message, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("translate")(translate_command)
    app.command("qa")(qa_command)
    app.command("translate-corpus")(translate_corpus_command)
