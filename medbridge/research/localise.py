"""Localise: a verified English draft → the reader's language, each sentence keeping its checked original.

With a model, the checked wording of each finding goes through the cached, QA-checked translator (which
retries a failing sentence); its result is checked again with the translation QA checks, and a sentence that
still fails — half-translated words, English left inside Chinese — is not shown half-translated: the English
original stays, in quotation marks, with a Chinese gloss of its glossary terms. Without a model every finding is
shown that way (Mattsson 等（2009）报告：“…”（要点：…）) rather than guessed.
"""

from __future__ import annotations

import re
from typing import Mapping

from medbridge.corpus.models import Record
from medbridge.progress import ProgressSink
from medbridge.research.models import Draft, Sentence
from medbridge.research.synthesise import chinese_attribution, glossed_quote
from medbridge.terms import Terminology
from medbridge.translate.base import QAProblem, TextTranslator
from medbridge.translate.qa import QAContext, UntranslatedCheck, run_checks

# What a reader sees as quoted English: “…” spans are the source's own words on purpose, not leaks; nor are
# the authors' names of an attribution ("Kiani Shabestari等（2019）报告：").
QUOTED = re.compile(r"“[^”]*”")
ATTRIBUTION = re.compile(r"^而?[^“：]*?（(?:\d{4}|年份不详)）")


class Localiser:
    def __init__(self, translator: TextTranslator | None, terminology: Terminology):
        self.translator = translator
        self.terms = terminology

    def process(self, draft: Draft, records: Mapping[int, Record], progress: ProgressSink | None = None) -> Draft:
        if draft.lang == "en":
            return draft
        findings = [s for s in draft.sentences() if s.kind == "finding"]
        for sentence in findings:
            sentence.source_text = sentence.checked_text
        # Only the checked wording is translated; the attribution is rebuilt in Chinese (names stay intact,
        # and the model writes fewer tokens).
        translations: list[str | None] = [None] * len(findings)
        if self.translator is not None and findings:
            results = self.translator.translate_batch([s.source_text for s in findings], source="en", target="zh", progress=progress)
            ctx = QAContext.create("en", "zh", self.terms)
            for i, result in enumerate(results):
                failing = result.flagged or any(p.severity == "error" for p in run_checks([result.source], [result.target], ctx))
                translations[i] = None if failing else result.target
        for sentence, translation in zip(findings, translations):
            shown = translation if translation is not None else glossed_quote(sentence.source_text, self.terms)
            if sentence.template and sentence.citations:
                sentence.text = chinese_attribution(sentence.template, records[sentence.citations[0]], shown)
            else:
                sentence.text = shown
        return draft


def english_leaks(draft: Draft, terminology: Terminology) -> list[QAProblem]:
    """English of the source left inside the Chinese sentences and headings of a review, outside quotation
    marks: what the translation QA's untranslated check reports as an error."""
    if draft.lang == "en":
        return []
    ctx = QAContext.create("en", "zh", terminology)
    check = UntranslatedCheck()
    problems: list[QAProblem] = []
    pairs = [(section.heading_en, section.heading) for section in draft.sections]
    pairs += [(_source(sentence), sentence.text) for sentence in draft.sentences()]
    for source, text in pairs:
        shown = QUOTED.sub("“”", ATTRIBUTION.sub("", text))
        problems += [p for p in check.check_pair(source, shown, ctx) if p.severity == "error"]
    return problems


def _source(sentence: Sentence) -> str:
    """What the sentence was localised from: its checked English, or (templates) nothing."""
    return sentence.source_text if sentence.kind == "finding" else ""
