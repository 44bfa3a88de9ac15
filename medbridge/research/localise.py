"""Localise: a verified English draft → the reader's language, each sentence keeping its checked original.

With a model, the checked wording of each finding goes through the cached, QA-checked translator. Without
one, a Chinese review frames the English quotes in Chinese (Mattsson 等（2009）报告：“…”) rather than guessing.
"""

from __future__ import annotations

from typing import Mapping

from medbridge.corpus.models import Record
from medbridge.research.models import Draft
from medbridge.research.synthesise import chinese_attribution
from medbridge.translate.base import ProgressCallback, TextTranslator


class Localiser:
    def __init__(self, translator: TextTranslator | None = None):
        self.translator = translator

    def process(self, draft: Draft, records: Mapping[int, Record], progress: ProgressCallback | None = None) -> Draft:
        if draft.lang == "en":
            return draft
        findings = [s for s in draft.sentences() if s.kind == "finding"]
        for sentence in findings:
            sentence.source_text = sentence.checked_text
        # Only the checked wording is translated; the attribution is rebuilt in Chinese (names stay intact,
        # and the model writes fewer tokens).
        if self.translator is not None and findings:
            results = self.translator.translate_batch([s.source_text for s in findings], source="en", target="zh", progress=progress)
            translations = [r.target for r in results]
        else:
            translations = [f"“{s.source_text}”" for s in findings]
        for sentence, translation in zip(findings, translations):
            if sentence.template and sentence.citations:
                sentence.text = chinese_attribution(sentence.template, records[sentence.citations[0]], translation)
            else:
                sentence.text = translation
        return draft
