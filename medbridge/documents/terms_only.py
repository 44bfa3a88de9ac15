"""Terms-only translation: set the glossary's approved terms into the text and leave the rest as it is.

What documents do when no language model is configured (``llm.backend = "none"``): a reader still sees the
reviewed Chinese (or English) term for every glossary term, in the original layout, offline and instantly.
"""

from __future__ import annotations

import re
from typing import Sequence

from medbridge.documents.errors import DocumentError
from medbridge.terms.base import GlossaryEntry
from medbridge.terms.terminology import Terminology
from medbridge.progress import ProgressEvent, ProgressSink
from medbridge.translate.base import TranslatedText

_TAG = re.compile(r"(<[^>]*>)")  # style tags of multi-style blocks are carried through untouched


class TermsOnlyTranslator:
    def __init__(self, terminology: Terminology):
        self.terminology = terminology

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
        """``markup``: texts are HTML fragments; their tags pass through untouched (as they do either way)."""
        pair = (source.split("-")[0], target.split("-")[0])
        if pair not in (("en", "zh"), ("zh", "en")):
            raise DocumentError(f"terms-only mode translates between English and Chinese only, not {source}→{target}")
        terms = self.terminology.with_user_entries(glossary) if glossary else self.terminology
        results = []
        for index, text in enumerate(texts):
            pieces = _TAG.split(text)
            translated = "".join(
                piece if piece.startswith("<") else _substitute(terms, piece, source=pair[0]) for piece in pieces
            )
            results.append(TranslatedText(source=text, target=translated))
            if progress:
                progress(ProgressEvent("translating", index + 1, len(texts)))
        return results


def _substitute(terms: Terminology, text: str, *, source: str) -> str:
    out, last = [], 0
    for start, end, entry in terms.find_terms(text, source):
        out.append(text[last:start])
        out.append(entry.zh if source == "en" else entry.en)
        last = end
    out.append(text[last:])
    return "".join(out)
