"""QA findings from the string table ("finding.*" in medbridge/i18n.py): each message in English (what a retry tells
the model, the CLI's default) and Chinese (the web UI's default). ``localise(problem, lang)`` gives a finding in the
reader's language."""

from __future__ import annotations

from medbridge.i18n import STRINGS
from medbridge.translate.base import QAProblem, Severity


# Names a Chinese reader sees in place of the English ones inside messages.
_ZH_NAMES = {"Japanese": "日文", "Korean": "韩文", "Simplified Chinese": "简体中文", "Traditional Chinese": "繁体中文"}


def message(key: str, lang: str, params: dict[str, str]) -> str:
    table = STRINGS[f"finding.{key}"]
    template = table.get(lang) or table["en"]
    if lang != "en":
        params = {k: _ZH_NAMES.get(v, v) for k, v in params.items()}
    return template.format(**params)


def problem(check: str, key: str, *, severity: Severity = "error", source_span: str | None = None, target_span: str | None = None,
            start: int | None = None, end: int | None = None, **params: object) -> QAProblem:
    """A finding whose message comes from the string table (English on the problem; ``localise`` for the UI)."""
    values = {k: str(v) for k, v in params.items()}
    return QAProblem(check, message(key, "en", values), source_span=source_span, target_span=target_span, severity=severity,
                     target_start=start, target_end=end, key=key, params=values)


def localise(problem: QAProblem, lang: str) -> str:
    """The finding's message in ``lang`` (zh or en); findings without a table entry keep their English message."""
    if f"finding.{problem.key}" in STRINGS:
        return message(problem.key, lang, problem.params)
    return problem.message


def fault_in_sentence(problem: QAProblem) -> tuple[str, str, str] | None:
    """The target sentence at fault cut around the fault, (before, fault, after), for a reader to see it in
    context; the whole sentence is the fault when the finding points at no smaller part of it."""
    sentence = problem.target_sentence
    if not sentence:
        return None
    span = problem.target_span
    at = sentence.find(span) if span and span != sentence else -1
    if at < 0:
        return "", sentence, ""
    return sentence[:at], span, sentence[at + len(span):]
