"""Prompts for the translation model and parsing of its answers.

Short on purpose: on a CPU every prompt token costs prefill time, and a 1.5B model follows three plain
rules better than ten.
"""

from __future__ import annotations

import re
from typing import Sequence

from medbridge.llm.base import ChatMessage
from medbridge.translate.base import QAProblem
from medbridge.translate.languages import Language
from medbridge.translate.protect import PlaceholderStyle

# Part of the cache key: a prompt change must not serve translations made with the old one.
PROMPT_VERSION = "4"

_STRICT_HINTS = {
    "placeholder": "Copy every {marker} marker exactly once, unchanged.",
    "repetition": "Do not repeat words or sentences.",
    "foreign_content": "Add nothing that is not in the source.",
    "addition": "Add nothing that is not in the source.",
    "omission": "Translate every sentence completely; leave nothing out.",
}
_MAX_FIXES = 5


def _fixes(problems: Sequence[QAProblem], marker: str) -> list[str]:
    """What a retry is told: the checks' own findings ("'Sensitivity' should be rendered '灵敏度'", "English
    word left untranslated: 'assay'", "number 181 of the source is missing") are the most specific instruction a
    small model can get; general rules cover the rest."""
    lines = [f"- {p.message[:160]}" for p in problems if p.check in ("glossary", "untranslated", "numbers", "inconsistent_term")]
    lines = list(dict.fromkeys(lines))[:_MAX_FIXES]
    rules = dict.fromkeys(_STRICT_HINTS[p.check].format(marker=marker) for p in problems if p.check in _STRICT_HINTS)
    return (["A previous translation had these problems; avoid them:", *lines] if lines else []) + list(rules)


def system_prompt(source: Language, target: Language, style: PlaceholderStyle, terms: Sequence[tuple[str, str]]) -> str:
    """The same for every call of a batch: llama.cpp then reuses its evaluated prefix and prefills only the text."""
    lines = [
        f"Translate the biomedical {source.name} text into {target.name}.",
        f"Copy markers like {style.make(1)} unchanged. Output only the translation.",
        "Translate each numbered line; answer with the same numbers, one line each.",
    ]
    if terms:
        lines.append("Terms:")
        lines.extend(f"{src} = {tgt}" for src, tgt in terms)
    return "\n".join(lines)


def build_messages(
    texts: Sequence[str],
    source: Language,
    target: Language,
    style: PlaceholderStyle,
    terms: Sequence[tuple[str, str]],
    problems: Sequence[QAProblem] = (),
) -> list[ChatMessage]:
    """System prompt (shared by a batch), then the numbered texts, after what a retry must fix."""
    numbered = "\n".join(f"{i}. {t}" for i, t in enumerate(texts, 1))
    fixes = _fixes(problems, style.make(1)) if problems else []
    user = "\n".join([*fixes, "", numbered]) if fixes else numbered
    return [ChatMessage("system", system_prompt(source, target, style, terms)), ChatMessage("user", user)]


_FENCE = re.compile(r"^```[\w-]*\n?|\n?```$")
_LEAD_IN = re.compile(r"^(?:translation|translated text|译文|翻译)\s*[:：]\s*", re.IGNORECASE)
_NUMBERED = re.compile(r"^\s*(\d{1,3})\s*[.、:：)）]\s?(.*)$")


def clean_answer(answer: str) -> str:
    """The translation without code fences or a "Translation:" lead-in the model sometimes adds."""
    text = _FENCE.sub("", answer.strip()).strip()
    return _LEAD_IN.sub("", text).strip()


def parse_numbered(answer: str, count: int) -> list[str] | None:
    """Lines 1..count from a numbered answer; unnumbered lines continue the previous item. None when the
    numbering does not come back complete (the caller then translates the texts one by one)."""
    items: dict[int, list[str]] = {}
    current: int | None = None
    for line in clean_answer(answer).splitlines():
        match = _NUMBERED.match(line)
        if match and 1 <= int(match.group(1)) <= count and int(match.group(1)) not in items:
            current = int(match.group(1))
            items[current] = [match.group(2).strip()]
        elif current is not None and line.strip():
            items[current].append(line.strip())
    if sorted(items) != list(range(1, count + 1)):
        return None
    return [" ".join(items[i]).strip() for i in range(1, count + 1)]
