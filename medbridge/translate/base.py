"""Translation types shared by the translator, its QA checks, documents and research."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, Sequence

from medbridge.progress import ProgressSink
from medbridge.terms.base import GlossaryEntry

Severity = Literal["error", "warning"]


@dataclass(slots=True)
class QAProblem:
    check: str                 # the check's name (qa.DEFAULT_CHECKS), or "placeholder" for a dropped marker
    message: str               # one line a reader understands, in English (what a retry tells the model)
    segment: int | None = None # index of the segment in the batch/document
    source_span: str | None = None
    target_span: str | None = None
    severity: Severity = "error"
    target_start: int | None = None  # character offsets of the fault in the segment's target text
    target_end: int | None = None
    target_sentence: str | None = None  # the target sentence at fault and its source: what a reader should not trust
    source_sentence: str | None = None
    key: str = ""              # message id in qa_messages (the UI shows the message in its language)
    params: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class TranslatedText:
    source: str
    target: str
    problems: list[QAProblem] = field(default_factory=list)
    from_cache: bool = False
    flagged: bool = False      # still failing QA after retries; shown marked to the reader


class TextTranslator(Protocol):
    """What documents and research need of a translator: the model-backed ``Translator`` and the glossary-only
    ``TermsOnlyTranslator`` both implement all of it, so callers never probe for optional parameters."""

    def translate_batch(
        self,
        texts: Sequence[str],
        *,
        source: str,
        target: str,
        glossary: Sequence[GlossaryEntry] | None = None,
        progress: ProgressSink | None = None,
        markup: bool = False,
    ) -> list[TranslatedText]:
        """Translate each text (a paragraph, cell or title); ``glossary`` adds user entries that win over built-ins;
        with ``markup`` the texts are HTML fragments with inline tags, and so are the translations.
        Consistency of terms is checked across the whole batch."""
