"""Extract: one evidence card per record, every field a verbatim span of a verbatim abstract sentence.

Rule-based on purpose: it is instant, deterministic and cannot invent a quote. Sentences come from the
abstract's NlmCategory sections, or their labels where PubMed gives none (an unstructured abstract is read by
position: opening = background, closing = conclusion); regular expressions find study designs, sample sizes, interventions, comparators,
outcomes and statistical results (n=, %, CI, p, HR/OR/RR, AUC). A field with no matching sentence stays empty.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Iterable, Mapping

from medbridge.corpus.models import Record
from medbridge.research.evidence import DESIGN_PATTERNS, SAMPLE, EvidenceClassifier, describe
from medbridge.research.models import EvidenceCard, EvidenceField
from medbridge.research.text import count_words
from medbridge.terms import Terminology
from medbridge.text import sentence_texts

INTERVENTION = re.compile(
    r"\b(?:treated with|received|randomi[sz]ed to|assigned to|administ(?:ered|ration of)|supplementation with|"
    r"exposure to|exposed to|intake of|treatment with|training|intervention)\b[^.;]{3,90}",
    re.I,
)
COMPARATOR = re.compile(r"\b(?:placebo|compared (?:with|to)|versus|vs\.?|relative to|control group|healthy controls?)\b[^.;]{0,70}", re.I)
OUTCOME = re.compile(r"\b(?:(?:primary|secondary) (?:outcome|end ?point)s?|outcome measures?|main outcomes?)\b[^.;]{0,110}", re.I)
STATISTIC = re.compile(
    r"\d+(?:\.\d+)?\s*%|\b95\s*%\s*CI\b|\bCI\b|\bp\s*[<=>≤≥]\s*0?\.\d+|\b(?:HR|OR|RR|AUC|ROC|hazard ratio|odds ratio|"
    r"relative risk|risk ratio|sensitivity|specificity|r\s*=|β\s*=|beta\s*=)\b",
    re.I,
)
CONCLUSION_CUE = re.compile(
    r"^(?:In conclusion|In summary|Overall|These (?:results|findings|data|observations) (?:suggest|indicate|show|demonstrate|support)|"
    r"Our (?:results|findings|data)|We conclude|This study (?:suggests|shows|demonstrates|provides)|Taken together|Collectively)",
    re.I,
)
LIMITATION = re.compile(
    r"\b(?:further (?:studies|research|investigation|work|trials)|larger (?:studies|trials|samples|cohorts)|"
    r"remains? (?:unclear|unknown|uncertain|to be (?:determined|established|elucidated))|(?:is|are) (?:needed|warranted|required)|"
    r"limitations?|longer follow-up|little is known|poorly understood|not well understood)\b",
    re.I,
)
MAX_FINDINGS = 3
FINDING_SECTIONS = ("RESULTS", "CONCLUSIONS")
# Shorter pieces are labels, not statements: "VIDEO ABSTRACT.", "None.", "ClinicalTrials.gov Identifier: NCT01206062."
MIN_STATEMENT_WORDS = 5


@dataclass(slots=True)
class _Sentence:
    text: str
    section: str          # NlmCategory (BACKGROUND, METHODS, RESULTS, CONCLUSIONS, …) or a positional guess
    position: int         # index in the abstract


# A section's label read as the NlmCategory PubMed leaves out of many labelled abstracts (JAMA's "IMPORTANCE",
# "DESIGN, SETTING, AND PARTICIPANTS", "CONCLUSIONS AND RELEVANCE"): first match wins.
LABEL_CATEGORIES = (
    (re.compile(r"CONCLUSION|INTERPRETATION|DISCUSSION|RELEVANCE"), "CONCLUSIONS"),
    (re.compile(r"RESULT|FINDINGS"), "RESULTS"),
    (re.compile(r"BACKGROUND|IMPORTANCE|CONTEXT|INTRODUCTION|RATIONALE"), "BACKGROUND"),
    (re.compile(r"OBJECTIVE|\bAIMS?\b|PURPOSE"), "OBJECTIVE"),
    (re.compile(r"METHOD|DESIGN|SETTING|PARTICIPANT|MEASURE|EXPOSURE|INTERVENTION|PATIENT|SUBJECT|DATA|SELECTION"), "METHODS"),
)


def section_category(category: str | None, label: str | None) -> str:
    """The section's NlmCategory, else the one its label names; "" when neither says."""
    if category and category != "UNASSIGNED":
        return category.upper()
    name = (label or "").upper()
    return next((value for pattern, value in LABEL_CATEGORIES if pattern.search(name)), "")


def abstract_sentences(record: Record, terms: Terminology) -> list[_Sentence]:
    sentences: list[_Sentence] = []
    categories = [section_category(s.category, s.label) for s in record.abstract]
    structured = any(categories)
    for section, category in zip(record.abstract, categories):
        for text in sentence_texts(section.text):
            if count_words(text, terms) < MIN_STATEMENT_WORDS:
                continue
            # A labelled section no category fits (FUNDING, TRIAL REGISTRATION) is neither finding nor background.
            sentences.append(_Sentence(text, (category or "OTHER") if structured else "", len(sentences)))
    if not structured and sentences:  # read an unstructured abstract by position
        sentences[0].section = "BACKGROUND"
        for s in sentences[1:]:
            s.section = "CONCLUSIONS" if CONCLUSION_CUE.search(s.text) or s is sentences[-1] else "RESULTS"
    return sentences


def result_sentences(record: Record, terms: Terminology) -> list[EvidenceField]:
    """Every sentence of the abstract's results and conclusions: what the record itself found, each a possible
    backing for a finding of another record that states the same thing."""
    return [_field(s) for s in abstract_sentences(record, terms) if s.section in FINDING_SECTIONS]


def _field(sentence: _Sentence, match: re.Match[str] | None = None) -> EvidenceField:
    value = match.group(0).strip(" ,;:") if match else sentence.text
    return EvidenceField(value=value, quote=sentence.text, section=sentence.section)


def _first(sentences: Iterable[_Sentence], pattern: re.Pattern[str], sections: tuple[str, ...] = ()) -> EvidenceField | None:
    candidates = list(sentences)
    if sections:  # preferred sections first, then the rest
        candidates.sort(key=lambda s: (s.section not in sections, s.position))
    for sentence in candidates:
        if match := pattern.search(sentence.text):
            return _field(sentence, match)
    return None


class Extractor:
    def __init__(self, terminology: Terminology):
        self.terms = terminology
        self.classifier = EvidenceClassifier(terminology)

    def process(self, record: Record) -> EvidenceCard:
        sentences = abstract_sentences(record, self.terms)
        card = EvidenceCard(pmid=record.pmid)
        card.study_type = self._design(sentences)
        card.population = _first(sentences, SAMPLE, ("METHODS", "RESULTS"))
        card.intervention = _first(sentences, INTERVENTION, ("METHODS", "OBJECTIVE"))
        card.comparator = _first(sentences, COMPARATOR, ("METHODS", "RESULTS"))
        card.outcomes = self._outcomes(record, sentences)
        card.findings = self._findings(sentences)
        card.conclusion = self._conclusion(sentences)
        card.limitations = [_field(s) for s in sentences if LIMITATION.search(s.text) and s.section != "BACKGROUND"][:2]
        background = [s for s in sentences if s.section in ("BACKGROUND", "INTRODUCTION")]
        if background:
            card.background = _field(background[0])
        card.level = self.classifier.classify(record, card.population)
        return card

    @staticmethod
    def _design(sentences: list[_Sentence]) -> EvidenceField | None:
        for _, pattern in DESIGN_PATTERNS:
            for sentence in sentences:
                if match := pattern.search(sentence.text):
                    return _field(sentence, match)
        return None

    @staticmethod
    def _outcomes(record: Record, sentences: list[_Sentence]) -> EvidenceField | None:
        for section in record.abstract:  # a "MAIN OUTCOME MEASURES" section is the outcome, word for word
            if section.label and "OUTCOME" in section.label.upper():
                first = sentence_texts(section.text)
                if first:
                    return EvidenceField(value=first[0], quote=first[0], section=section.category or section.label)
        return _first(sentences, OUTCOME, ("METHODS",))

    @staticmethod
    def _findings(sentences: list[_Sentence]) -> list[EvidenceField]:
        scored = []
        for sentence in sentences:
            if sentence.section not in FINDING_SECTIONS:
                continue
            statistics = len(STATISTIC.findall(sentence.text))
            if statistics:
                scored.append((-statistics, sentence.position, sentence))
        scored.sort(key=lambda item: item[:2])
        chosen = sorted((item[2] for item in scored[:MAX_FINDINGS]), key=lambda s: s.position)
        return [_field(s) for s in chosen]

    @staticmethod
    def _conclusion(sentences: list[_Sentence]) -> EvidenceField | None:
        concluding = [s for s in sentences if s.section == "CONCLUSIONS"]
        if concluding:
            return _field(concluding[0])
        cued = [s for s in sentences if CONCLUSION_CUE.search(s.text)]
        return _field(cued[0]) if cued else None


LEVEL_COLUMNS = ("evidence_level", "design", "species", "sample_size", "sample_stated", "level_basis")


def level_columns(card: EvidenceCard) -> list[object]:
    """The evidence-level columns of the table: kind, design (as the review names it), species, sample size."""
    level = card.level
    if level is None:
        return [""] * len(LEVEL_COLUMNS)
    design = describe(level, "en", with_size=False) if level.kind == "human" else ""
    return [level.kind, design, "; ".join(level.species), level.sample_size or "", level.sample_text, "; ".join(level.basis)]


CSV_FIELDS = ("study_type", "population", "intervention", "comparator", "outcomes", "findings", "conclusion", "limitations")


def evidence_csv(cards: Iterable[EvidenceCard], records: Mapping[int, Record], numbers: Mapping[int, int] | None = None) -> str:
    """The evidence table: one row per record, each field's value beside its verbatim quote."""
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["ref", "pmid", "title", "year", "doi", *LEVEL_COLUMNS]
    for name in CSV_FIELDS:
        header += [name, f"{name}_quote"]
    writer.writerow(header)
    for card in cards:
        record = records[card.pmid]
        row = [(numbers or {}).get(card.pmid, ""), card.pmid, record.title, record.year or "", record.doi or "", *level_columns(card)]
        for name in CSV_FIELDS:
            value = getattr(card, name)
            fields = value if isinstance(value, list) else [value] if value else []
            row += [" | ".join(f.value for f in fields), " | ".join(f.quote for f in fields)]
        writer.writerow(row)
    return out.getvalue()
