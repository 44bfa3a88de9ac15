"""Why a record is recommended (推荐理由), the abstract sentence that best answers the question, and the
extractive summary behind "第2篇讲了什么" — all read off the record itself, instantly, with no model. The
study type and sample come from the deep-research evidence classifier (research.evidence).

A concept matches a record in its title or abstract when one of its English forms does (stemmed, as
snippets mark them), and in its MeSH when the record carries the concept's descriptor or one below it in
the tree (PubMed's explosion).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Callable, Sequence

import tantivy

from medbridge.corpus.models import AbstractSection, Record
from medbridge.research.evidence import EvidenceClassifier, describe
from medbridge.research.models import EvidenceField, EvidenceLevel
from medbridge.search.snippets import term_patterns
from medbridge.search.understand import Concept
from medbridge.terms import Terminology
from medbridge.text import sentence_texts
from medbridge.translate.labels import label_zh

ANSWERING_SECTIONS = ("RESULTS", "CONCLUSIONS")
SETTING_SECTIONS = ("BACKGROUND", "OBJECTIVE", "CONTEXT", "INTRODUCTION", "METHODS")  # they ask, they do not answer
_NUMBER = re.compile(r"\d")


@dataclass(slots=True)
class ConceptMatch:
    concept: str            # as the user typed it
    where: list[str]        # "title", "abstract", "mesh"


@dataclass(slots=True)
class Recommendation:
    pmid: int
    matched: list[ConceptMatch]
    missing: list[str]                 # concepts of the question the record does not name
    evidence: EvidenceLevel            # study type (research.evidence), with the sample as the abstract states it
    year: int | None
    cited_by: int
    quote: str | None                  # the abstract sentence that best answers the question, verbatim
    quote_section: str | None = None   # its section label (RESULTS, CONCLUSIONS …)

    def to_dict(self) -> dict:
        return asdict(self)

    def reasons(self, lang: str, this_year: int) -> list[str]:
        """The reasons as short phrases for the page and the CLI."""
        where_zh = {"title": "标题", "abstract": "摘要", "mesh": "MeSH"}
        out = []
        for match in self.matched:
            if lang == "zh":
                out.append(f"{match.concept}：见于" + "、".join(where_zh[w] for w in match.where))
            else:
                out.append(f"{match.concept}: in " + ", ".join("MeSH" if w == "mesh" else w for w in match.where))
        out.append(("研究类型：" if lang == "zh" else "Study type: ") + describe(self.evidence, lang, with_size=False))
        if self.evidence.sample_text:
            out.append(f"样本量：{self.evidence.sample_text}" if lang == "zh" else f"Size: {self.evidence.sample_text}")
        if self.year is not None:
            age = this_year - self.year
            out.append((f"{self.year} 年发表" + ("（近五年）" if age < 5 else "")) if lang == "zh"
                       else f"Published {self.year}" + (" (last 5 years)" if age < 5 else ""))
        out.append(f"被引 {self.cited_by} 次" if lang == "zh" else f"Cited by {self.cited_by}")
        return out


@dataclass(slots=True)
class _ConceptPatterns:
    label: str
    patterns: list[re.Pattern[str]]
    tree_numbers: tuple[str, ...]
    mesh_ui: str | None
    mesh_name: str | None = field(default=None)


class Recommender:
    def __init__(self, terms: Terminology, analyzer: tantivy.TextAnalyzer):
        self.terms = terms
        self.analyzer = analyzer
        self.classifier = EvidenceClassifier(terms)

    def evidence(self, record: Record) -> EvidenceLevel:
        """The record's level of evidence, its stated sample read from the whole abstract."""
        abstract = " ".join(s.text for s in record.abstract)
        return self.classifier.classify(record, EvidenceField(abstract, abstract) if abstract else None)

    def _prepare(self, concepts: Sequence[Concept]) -> list[_ConceptPatterns]:
        prepared = []
        for concept in concepts:
            descriptor = self.terms.mesh(concept.mesh_ui) if concept.mesh_ui else None
            forms = [*concept.search_terms, *([concept.mesh_name] if concept.mesh_name else [])]
            prepared.append(_ConceptPatterns(concept.source, term_patterns(forms, self.analyzer),
                                             tuple(descriptor.tree_numbers) if descriptor else (), concept.mesh_ui, concept.mesh_name))
        return prepared

    def recommend(self, records: Sequence[Record], concepts: Sequence[Concept], cited_by: dict[int, int]) -> list[Recommendation]:
        prepared = self._prepare(concepts)
        return [self._one(record, prepared, cited_by.get(record.pmid, 0)) for record in records]

    def _one(self, record: Record, concepts: list[_ConceptPatterns], cited_by: int) -> Recommendation:
        abstract = " ".join(s.text for s in record.abstract)
        matched, missing = [], []
        for concept in concepts:
            where = []
            if any(p.search(record.title) for p in concept.patterns):
                where.append("title")
            if any(p.search(abstract) for p in concept.patterns):
                where.append("abstract")
            if self._in_mesh(record, concept):
                where.append("mesh")
            (matched.append(ConceptMatch(concept.label, where)) if where else missing.append(concept.label))
        quote, section = best_sentence(record, [c.patterns for c in concepts])
        return Recommendation(
            pmid=record.pmid,
            matched=matched,
            missing=missing,
            evidence=self.evidence(record),
            year=record.year,
            cited_by=cited_by,
            quote=quote,
            quote_section=section,
        )

    def _in_mesh(self, record: Record, concept: _ConceptPatterns) -> bool:
        for heading in record.mesh:
            if concept.mesh_ui and heading.ui == concept.mesh_ui:
                return True
            if concept.mesh_name and heading.descriptor.lower() == concept.mesh_name.lower():
                return True
            descriptor = self.terms.mesh(heading.ui) if heading.ui and concept.tree_numbers else None
            if descriptor and any(n.startswith(root + ".") for n in descriptor.tree_numbers for root in concept.tree_numbers):
                return True
        return False


@lru_cache(maxsize=4096)
def _split(text: str) -> tuple[str, ...]:
    """Sentences of a section, kept: follow-up turns show mostly the same records."""
    return tuple(sentence_texts(text))


def _sentences(record: Record) -> list[tuple[str, AbstractSection]]:
    return [(sentence, section) for section in record.abstract for sentence in _split(section.text)]


def _category(section: AbstractSection) -> str:
    return (section.category or section.label or "").upper()


def best_sentence(record: Record, concept_patterns: list[list[re.Pattern[str]]]) -> tuple[str | None, str | None]:
    """The abstract sentence naming the most concepts of the question, preferring results and conclusions
    over background and methods, and sentences that report numbers; a verbatim quote with its section label."""
    best: tuple[float, int, str, AbstractSection] | None = None
    for position, (sentence, section) in enumerate(_sentences(record)):
        named = sum(1 for patterns in concept_patterns if any(p.search(sentence) for p in patterns))
        category = _category(section)
        score = (2.0 * named + (1.0 if category in ANSWERING_SECTIONS else -1.5 if category in SETTING_SECTIONS else 0.0)
                 + (0.5 if _NUMBER.search(sentence) else 0.0))
        if best is None or score > best[0] or (score == best[0] and _category(section) == "CONCLUSIONS"):
            best = (score, position, sentence, section)
    if best is None:
        return None, None
    return best[2], best[3].label


AbstractTranslations = Callable[[Record], list[str | None]]  # cached Chinese of [title, *sections], None where missing


def summarize(record: Record, lang: str, evidence: EvidenceLevel, translations: AbstractTranslations | None = None) -> dict:
    """What a record says, extractively: its aim, its main result and its conclusion (or, unstructured, the
    first sentence and the last two). For Chinese, cached translations of those sections are used when
    there are any; otherwise the English sentences are quoted under Chinese section names."""
    cached = translations(record) if translations and lang == "zh" else []
    title_zh = cached[0] if cached else None
    section_zh = {i: text for i, text in enumerate(cached[1:]) if text}
    picks: list[tuple[int, str]] = []  # (section index, sentence)
    by_category: dict[str, int] = {}
    for index, section in enumerate(record.abstract):
        by_category.setdefault(_category(section), index)
    structured = any(key in by_category for key in ("OBJECTIVE", "BACKGROUND", "RESULTS", "CONCLUSIONS"))
    if structured:
        for category in ("OBJECTIVE", "RESULTS", "CONCLUSIONS"):
            if category in by_category or (category == "OBJECTIVE" and "BACKGROUND" in by_category):
                index = by_category.get(category, by_category.get("BACKGROUND"))
                sentences = sentence_texts(record.abstract[index].text)
                if sentences:
                    picks.append((index, " ".join(sentences) if category == "CONCLUSIONS" else sentences[0]))
    else:
        sentences = _sentences(record)
        chosen = sentences[:1] + sentences[max(1, len(sentences) - 2):]
        picks = [(record.abstract.index(section), sentence) for sentence, section in chosen]
    points = []
    translated_shown: set[int] = set()
    for index, sentence in picks:
        section = record.abstract[index]
        label = section.label or ""
        if lang == "zh" and index in section_zh:
            if index in translated_shown:  # a translated section is shown whole, once
                continue
            translated_shown.add(index)
            points.append({"label": label_zh(label.upper()) or label, "text": section_zh[index], "translated": True})
        else:
            points.append({"label": (label_zh(label.upper()) or label) if lang == "zh" else label, "text": sentence, "translated": False})
    return {
        "pmid": record.pmid,
        "title": record.title,
        "title_zh": title_zh,
        "year": record.year,
        "journal": record.journal.short_name,
        "study_type": describe(evidence, lang, with_size=False),
        "size": evidence.sample_text,
        "points": points,
        "has_abstract": record.has_abstract,
    }
