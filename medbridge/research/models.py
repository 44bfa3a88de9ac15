"""The data each research stage hands to the next; all plain dataclasses so checkpoints are JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Literal, TypeVar

import msgspec

if TYPE_CHECKING:
    from medbridge.terms import Terminology

Lang = Literal["zh", "en"]
SentenceKind = Literal["finding", "meta"]  # meta: structure and framing, states nothing about the evidence
T = TypeVar("T")


def to_plain(value: Any) -> Any:
    return msgspec.to_builtins(value)


def from_plain(data: Any, type_: type[T]) -> T:
    return msgspec.convert(data, type_)


@dataclass(slots=True)
class Facet:
    """One angle of the question, searched on its own."""

    label: str                 # shown to the reader (question language)
    query_en: str              # English search text
    query_zh: str = ""         # Chinese search text (bilingual plan)
    origin: str = "terms"      # question, terms (glossary/MeSH concept pairs), llm
    mesh: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Plan:
    question: str
    lang: Lang
    question_en: str
    question_zh: str
    concepts: list[str]        # English concepts with their MeSH headings where known
    mesh: list[str]
    facets: list[Facet]
    pubmed_query: str


@dataclass(slots=True)
class Source:
    pmid: int
    score: float
    facets: list[int]          # indexes into Plan.facets that found it


@dataclass(slots=True)
class EvidenceField:
    value: str                 # a verbatim span of ``quote``
    quote: str                 # a verbatim sentence of the abstract
    section: str = ""          # NlmCategory or label of the section the quote comes from


@dataclass(slots=True)
class EvidenceLevel:
    """What kind of study a record reports (see ``research.evidence``)."""

    kind: str                  # human, animal, in_vitro, other
    design: str = ""           # human designs: meta_analysis, rct, clinical_trial, cohort, case_control, cross_sectional,
                               # observational, case_series, review; "" = not stated
    species: list[str] = field(default_factory=list)   # animal studies: "mice", "rats" …
    sample_size: int | None = None
    sample_text: str = ""      # the sample as the abstract states it: "750 individuals"
    basis: list[str] = field(default_factory=list)     # what decided: publication type, MeSH, abstract


@dataclass(slots=True)
class EvidenceCard:
    pmid: int
    study_type: EvidenceField | None = None
    population: EvidenceField | None = None
    intervention: EvidenceField | None = None
    comparator: EvidenceField | None = None
    outcomes: EvidenceField | None = None
    findings: list[EvidenceField] = field(default_factory=list)
    conclusion: EvidenceField | None = None
    limitations: list[EvidenceField] = field(default_factory=list)
    background: EvidenceField | None = None
    level: EvidenceLevel | None = None

    FIELDS = ("study_type", "population", "intervention", "comparator", "outcomes")


@dataclass(slots=True)
class Support:
    """The quote of one cited record that a statement was written from."""

    pmid: int
    quote: str


@dataclass(slots=True)
class Sentence:
    text: str                              # in the review's language
    citations: list[int] = field(default_factory=list)  # PMIDs, in citation order
    kind: SentenceKind = "finding"
    source_text: str = ""                  # English original the checks ran on (empty: same as text)
    origin: str = "quote"                  # quote (verbatim), llm, template, rewritten
    template: str = ""                     # attribution template of a quote ("reported", "concluded")
    supported: bool | None = None          # set by Verify for findings
    note: str = ""                         # evidence behind it, after the citation: "(cohort study, 750 individuals)"
    consistent: list[int] = field(default_factory=list)  # citations backing it by a finding of their own ("consistent with")
    supports: list[Support] = field(default_factory=list)  # each cited record's quote it was written from

    @property
    def checked_text(self) -> str:
        return self.source_text or self.text


@dataclass(slots=True)
class Paragraph:
    sentences: list[Sentence] = field(default_factory=list)


@dataclass(slots=True)
class Section:
    key: str                               # background, theme, disagreements, gaps, about
    heading: str
    paragraphs: list[Paragraph] = field(default_factory=list)
    heading_en: str = ""


@dataclass(slots=True)
class Draft:
    title: str
    lang: Lang
    sections: list[Section]

    def sentences(self) -> list[Sentence]:
        return [s for sec in self.sections for p in sec.paragraphs for s in p.sentences]

    def word_count(self, terms: Terminology, measure: Callable[[Sentence], int] | None = None) -> int:
        """Words of the section headings and sentences, Chinese as ``terms`` segments it; ``measure`` sizes a
        sentence (default: its text)."""
        from medbridge.research.text import count_words

        measure = measure or (lambda sentence: count_words(sentence.text, terms) + count_words(sentence.note, terms))
        return sum(count_words(s.heading, terms) for s in self.sections) + sum(measure(s) for s in self.sentences())

    def cited_pmids(self) -> list[int]:
        """Cited PMIDs in order of first citation: the reference list's numbering."""
        seen: dict[int, None] = {}
        for sentence in self.sentences():
            for pmid in sentence.citations:
                seen.setdefault(pmid, None)
        return list(seen)


@dataclass(slots=True)
class ClaimCheck:
    sentence: str
    pmid: int
    lexical: float                         # share of the claim's content words found in the best abstract sentence
    numbers_ok: bool                       # every number of the claim occurs in the abstract
    similarity: float                      # embedding cosine claim ↔ best abstract sentence
    supported: bool
    judge: str = ""                        # LLM judge verdict when one ran
    basis: str = "claim"                   # claim: the sentence against the record; agreement: the record's own finding


@dataclass(slots=True)
class Verification:
    claims: int                            # finding sentences in the draft
    cited: int                             # of which carried ≥ 1 citation
    supported: int                         # of which every kept citation supports it (as drafted)
    rewritten: int
    removed: int
    dropped_citations: int
    final_claims: int
    final_supported: int
    out_of_corpus: int                     # citations to PMIDs not in the store (always removed)
    checks: list[ClaimCheck] = field(default_factory=list)

    @property
    def supported_share(self) -> float:
        """Share of the drafted finding sentences the checks found supported."""
        return self.supported / self.claims if self.claims else 1.0

    @property
    def final_supported_share(self) -> float:
        return self.final_supported / self.final_claims if self.final_claims else 1.0


@dataclass(slots=True)
class Reference:
    number: int
    pmid: int
    text: str                              # Vancouver style, with PMID and DOI
    doi: str | None = None
    level: EvidenceLevel | None = None


@dataclass(slots=True)
class Review:
    question: str
    lang: Lang
    draft: Draft
    references: list[Reference]
    verification: Verification
    plan: Plan
    sources: int                           # records read
    elapsed_s: float = 0.0
    model: str = "none"

    def number_of(self) -> dict[int, int]:
        return {ref.pmid: ref.number for ref in self.references}

    def word_count(self, terms: Terminology) -> int:
        return self.draft.word_count(terms)
