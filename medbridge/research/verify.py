"""Verify: every finding sentence must cite corpus records, and every cited record must support it.

A record cited as "consistent with" a quoted finding supports it by agreement: its own finding, quoted
verbatim from its abstract, states the same thing (``findings.FindingAnalyser.same``: e5 similarity, shared
concepts, same direction of effect). Any other citation must support the sentence itself, as below, and the
sentence must not point the opposite way to the finding of the record it was written from.

Support for (sentence, record) = the sentence's numbers all occur in the record, it negates where the
record's best-matching sentence does, most of its content words
occur in the record's best-matching one or two sentences (lexical overlap), and the sentence is close in
meaning to the best-matching sentence (e5 cosine). A verbatim quote passes at once. An LLM judge adds a
yes/no only when a stronger model than the local default is configured. Citations that fail are dropped;
a sentence left without support is replaced by the cited record's closest verbatim sentence, or removed.
"""

from __future__ import annotations

import re
from typing import Mapping

from medbridge.corpus.models import Record
from medbridge.llm.base import LLM, ChatMessage, LLMError
from medbridge.research.citations import CITATION_MARK
from medbridge.research.findings import FindingAnalyser, opposite
from medbridge.research.models import ClaimCheck, Draft, EvidenceField, Paragraph, Sentence, Verification
from medbridge.research.text import content_words, numbers
from medbridge.research.vectors import SentenceEmbeddings
from medbridge.terms import Terminology
from medbridge.text import sentence_texts

LEXICAL_MIN = 0.6      # share of the claim's content words found in the record's best one or two sentences
SIMILARITY_MIN = 0.82  # e5 cosine to the best sentence; same-topic paraphrases measured 0.85–0.95
REWRITE_MIN = 0.3      # a replacement quote must still share this much with the claim
JUDGE_PROMPT = (
    "You check citations in a literature review. Answer 'yes' if the abstract states or directly implies the "
    "claim, otherwise 'no'. Reply with one word."
)
_SPACE = re.compile(r"\s+")
# Embeddings barely see "not": a claim and its evidence must agree on whether they negate.
NEGATION = re.compile(r"\b(?:not|no|never|neither|nor|failed to|unlikely)\b|n't\b", re.I)


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip().lower()


class Verifier:
    def __init__(self, terminology: Terminology, embeddings: SentenceEmbeddings | None = None, judge: LLM | None = None):
        self.embeddings = embeddings or SentenceEmbeddings()
        self.judge = judge
        self.analyser = FindingAnalyser(self.embeddings.vectors, terminology)

    def agreement(self, claim: str, quote: str, record: Record) -> ClaimCheck:
        """Whether ``record`` backs ``claim`` by a finding of its own: ``quote``, verbatim in its abstract, states
        the same thing."""
        claim = CITATION_MARK.sub("", claim).strip()
        verbatim = _norm(quote) in _norm(" ".join(s.text for s in record.abstract))
        similarity = self.embeddings.similarity(claim, quote)
        own = self.analyser.finding(record.pmid, EvidenceField(quote, quote), 0)
        stated = self.analyser.finding(-1, EvidenceField(claim, claim), 0)
        lexical = len(content_words(claim) & content_words(quote)) / (len(content_words(claim)) or 1)
        supported = verbatim and self.analyser.same(stated, own, similarity)
        return ClaimCheck(claim, record.pmid, round(lexical, 3), True, round(similarity, 3), supported, basis="agreement")

    def _check_citation(self, sentence: Sentence, record: Record) -> ClaimCheck:
        quote = next((s.quote for s in sentence.supports if s.pmid == record.pmid), None)
        if record.pmid in sentence.consistent and quote is not None:
            return self.agreement(sentence.checked_text, quote, record)
        check = self.check(sentence.checked_text, record)
        if check.supported and quote is not None and quote != sentence.checked_text and opposite(
                self.analyser.finding(-1, EvidenceField(sentence.checked_text, sentence.checked_text), 0).direction,
                self.analyser.finding(record.pmid, EvidenceField(quote, quote), 0).direction):
            check.supported = False  # written from this record's finding, but turned the other way
        return check

    def check(self, claim: str, record: Record) -> ClaimCheck:
        claim = CITATION_MARK.sub("", claim).strip()
        sentences = [record.title, *(s for section in record.abstract for s in sentence_texts(section.text))]
        whole = _norm(" ".join(sentences))
        if _norm(claim) in whole:
            return ClaimCheck(claim, record.pmid, 1.0, True, 1.0, True)
        words = content_words(claim)
        overlaps = sorted(((len(words & content_words(s)), i) for i, s in enumerate(sentences)), reverse=True)
        best = sentences[overlaps[0][1]]
        union = set().union(*(content_words(sentences[i]) for _, i in overlaps[:2])) if overlaps else set()
        lexical = len(words & union) / len(words) if words else 0.0
        numbers_ok = numbers(claim) <= numbers(" ".join(sentences))
        same_polarity = bool(NEGATION.search(claim)) == bool(NEGATION.search(best))
        similarity = self.embeddings.similarity(claim, best) if lexical >= LEXICAL_MIN and numbers_ok else 0.0
        supported = numbers_ok and same_polarity and lexical >= LEXICAL_MIN and similarity >= SIMILARITY_MIN
        verdict = ""
        if supported and self.judge is not None:
            verdict = self._judge(claim, record)
            supported = verdict != "no"
        return ClaimCheck(claim, record.pmid, round(lexical, 3), numbers_ok, round(similarity, 3), supported, verdict)

    def _judge(self, claim: str, record: Record) -> str:
        try:
            reply = self.judge.complete(  # type: ignore[union-attr]
                [ChatMessage("system", JUDGE_PROMPT), ChatMessage("user", f"Abstract: {record.title} {record.abstract_text}\n\nClaim: {claim}")],
                max_tokens=3,
                temperature=0.0,
            )
        except LLMError:
            return ""  # the judge is an extra; the lexical and embedding checks still stand
        answer = reply.strip().lower()
        return "yes" if answer.startswith("yes") else "no" if answer.startswith("no") else ""

    def process(self, draft: Draft, records: Mapping[int, Record]) -> tuple[Draft, Verification]:
        """``records``: what the store holds for the cited PMIDs; a PMID missing there is outside the corpus."""
        report = Verification(0, 0, 0, 0, 0, 0, 0, 0, 0)
        self.analyser.about(draft.title, draft.lang)  # agreement is judged as the draft's statements were merged
        used = {_norm(s.checked_text) for s in draft.sentences()}
        for section in draft.sections:
            kept_paragraphs = []
            for paragraph in section.paragraphs:
                kept = [s for s in (self._verify(sentence, records, report, used) for sentence in paragraph.sentences) if s]
                if any(s.kind == "finding" for s in kept) or (kept and not any(s.kind == "finding" for s in paragraph.sentences)):
                    kept_paragraphs.append(Paragraph(kept))
            section.paragraphs = kept_paragraphs
        final = [s for s in draft.sentences() if s.kind == "finding"]
        report.final_claims = len(final)
        report.final_supported = sum(1 for s in final if s.supported)
        return draft, report

    def _verify(self, sentence: Sentence, records: Mapping[int, Record], report: Verification, used: set[str]) -> Sentence | None:
        if sentence.kind != "finding":
            return sentence
        report.claims += 1
        if sentence.citations:
            report.cited += 1
        in_corpus = [p for p in sentence.citations if p in records]
        report.out_of_corpus += len(sentence.citations) - len(in_corpus)
        checks = [self._check_citation(sentence, records[p]) for p in in_corpus]
        report.checks.extend(checks)
        supporting = [c.pmid for c in checks if c.supported]
        if sentence.consistent and sentence.citations[0] not in supporting:
            supporting = []  # "consistent with" needs the quoted finding it agrees with
        if sentence.citations and len(supporting) == len(sentence.citations):
            report.supported += 1
        if supporting:
            report.dropped_citations += len(sentence.citations) - len(supporting)
            sentence.citations = supporting
            sentence.consistent = [p for p in sentence.consistent if p in supporting]
            sentence.supports = [s for s in sentence.supports if s.pmid in supporting]
            sentence.supported = True
            return sentence
        replacement = self._closest_quote(sentence.checked_text, [records[p] for p in in_corpus], used)
        if replacement is None:
            report.removed += 1
            return None
        report.rewritten += 1
        used.add(_norm(replacement[1]))
        return Sentence(replacement[1], [replacement[0]], kind="finding", origin="rewritten", supported=True)

    @staticmethod
    def _closest_quote(claim: str, cited: list[Record], used: set[str]) -> tuple[int, str] | None:
        """The cited records' verbatim sentence sharing the most with the claim, if it shares enough."""
        words = content_words(CITATION_MARK.sub("", claim))
        best: tuple[float, int, str] | None = None
        for record in cited:
            for section in record.abstract:
                for text in sentence_texts(section.text):
                    if _norm(text) in used or not words:
                        continue
                    score = len(words & content_words(text)) / len(words)
                    if best is None or score > best[0]:
                        best = (score, record.pmid, text)
        if best is None or best[0] < REWRITE_MIN:
            return None
        return best[1], best[2]
