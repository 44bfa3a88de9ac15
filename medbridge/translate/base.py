"""Translation types shared by the translator, its QA checks, documents and research."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal, Protocol, Sequence

from medbridge.terms.base import GlossaryEntry

Severity = Literal["error", "warning"]


@dataclass(slots=True)
class QAProblem:
    check: str                 # untranslated, inconsistent_term, glossary, numbers, omission, addition, repetition, foreign_content
    message: str               # one line a reader understands
    segment: int | None = None # index of the segment in the batch/document
    source_span: str | None = None
    target_span: str | None = None
    severity: Severity = "error"


@dataclass(slots=True)
class TranslatedText:
    source: str
    target: str
    problems: list[QAProblem] = field(default_factory=list)
    from_cache: bool = False
    flagged: bool = False      # still failing QA after retries; shown marked to the reader


ProgressCallback = Callable[[int, int], None]  # (done, total)


class TextTranslator(Protocol):
    def translate_batch(
        self,
        texts: Sequence[str],
        *,
        source: str,
        target: str,
        glossary: Sequence[GlossaryEntry] | None = None,
        progress: ProgressCallback | None = None,
    ) -> list[TranslatedText]:
        """Translate each text (a paragraph, cell or title); ``glossary`` adds user entries that win over built-ins.
        Consistency of terms is checked across the whole batch."""
