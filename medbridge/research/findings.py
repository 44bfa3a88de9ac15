"""Findings across records: which state the same thing (merged into one statement) and which contradict.

Two findings of different records state the same thing when they are close in meaning (e5 cosine), share
glossary concepts (two at least, besides the question's own and statistics or method terms) and do not point
opposite ways. Two findings
contradict when they share concepts and are on the same subject but point opposite ways: increase against
decrease, protective against harmful, an effect against no effect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from medbridge.research.models import EvidenceField
from medbridge.terms import Terminology, get_terminology

# up (more, higher, harmful), down (less, lower, protective), null (no effect), effect (an effect, way unstated)
Direction = str
# e5-small cosines of findings of different records on one question (CSF biomarkers, 20 records): median 0.85,
# top 3 % above 0.91; pairs stating the same result (CSF Aβ42 and tau identify incipient AD in MCI) 0.92–0.95.
SAME_MIN = 0.915       # e5 cosine of two findings stating the same thing
SUBJECT_MIN = 0.88     # e5 cosine of two findings about the same subject (checked for opposite directions)
# Shared glossary concepts of two findings stating the same thing, besides the question's own. One is not enough:
# on the benchmark questions, pairs sharing one ("tau protein"; "apolipoprotein E4" with "Alzheimer disease") were
# findings on the same topic saying different things ("tau causes synaptic dysfunction" / "the role of tau is
# unclear"); so were pairs at e5 0.90–0.915, which is why SAME_MIN stays.
MIN_SHARED_TERMS = 2

# Glossary terms of statistics and study method: two findings sharing "confidence interval" share no subject.
METHOD_TERMS = frozenset({
    "confidence interval", "standard deviation", "standard error", "standard error of the mean", "hazard ratio",
    "odds ratio", "relative risk", "risk ratio", "baseline", "sensitivity", "specificity", "p value",
    "area under the curve", "receiver operating characteristic", "control group", "controls", "healthy controls",
    "mean", "median", "interquartile range", "regression", "placebo", "cohort", "follow-up", "patients", "participants",
    "cross-sectional", "longitudinal", "prevalence", "incidence", "risk factor", "meta-analysis", "randomized controlled trial",
})
_NULL = re.compile(
    r"\b(?:no significant|not significantly|(?:did|does|do|could) not \w+|was not (?:associated|related|correlated|affected|different|changed)|"
    r"were not (?:associated|related|correlated|affected|different|changed)|no (?:association|difference|effect|"
    r"benefit|correlation|relationship|change|evidence)|failed to|unaffected|unchanged|not (?:associated|related|"
    r"correlated|effective|altered|predictive))\b",
    re.I,
)
_UP = re.compile(
    r"\b(?:increase[sd]?|increasing|higher|elevat(?:ed|es|ion)|greater|more|enhanc(?:ed|es|ement)|raised|upregulat\w*|"
    r"exacerbat\w*|worsen\w*|accelerat\w*|promot(?:ed|es)|induc(?:ed|es)|augment\w*|excess\w*|risk factor|harmful|"
    r"detrimental|deleterious|associated with (?:an? )?(?:increased|higher|greater|faster|worse))\b",
    re.I,
)
_DOWN = re.compile(
    r"\b(?:decrease[sd]?|decreasing|lower|reduc(?:ed|es|tion)|less|fewer|diminish\w*|declin(?:ed|es)|attenuat\w*|"
    r"downregulat\w*|inhibit\w*|suppress\w*|depletion|loss of|prevent\w*|protect\w*|rescu\w*|ameliorat\w*|"
    r"alleviat\w*|improv(?:ed|es|ement))\b",
    re.I,
)
_EFFECT = re.compile(r"\b(?:associated|associations?|correlat\w*|related|linked|predict\w*|significant\w*|effects?|"
                     r"influenc\w*|contribut\w*|affect(?:ed|s)|risk)\b", re.I)


def direction(text: str) -> Direction | None:
    """The way a finding points. null: it reports no effect and nothing else; up or down: all its directed
    words point one way; effect: an effect, either way or mixed (Aβ42 lower, tau higher); None: it states
    none, or mixes a null result with an effect (not comparable as a whole)."""
    nulls = _NULL.findall(text)
    rest = _NULL.sub(" ", text)
    up, down = len(_UP.findall(rest)), len(_DOWN.findall(rest))
    if nulls:
        return None if up or down else "null"
    if up and not down:
        return "up"
    if down and not up:
        return "down"
    return "effect" if up or _EFFECT.search(rest) else None


def opposite(a: Direction | None, b: Direction | None) -> bool:
    """Increase against decrease, or an effect against no effect."""
    if a is None or b is None or a == b:
        return False
    return {a, b} == {"up", "down"} or "null" in (a, b)


@dataclass(slots=True)
class Finding:
    pmid: int
    field: EvidenceField
    rank: int                        # the record's search rank
    direction: Direction | None
    terms: frozenset[str]            # glossary entries (by English term), statistics and method terms aside

    @property
    def quote(self) -> str:
        return self.field.quote


@dataclass(slots=True)
class Group:
    """Findings of different records that state the same thing: ``members[0]``, the anchor, is quoted; each other
    member states the same thing as it."""

    members: list[Finding] = field(default_factory=list)

    @property
    def pmids(self) -> list[int]:
        return [m.pmid for m in self.members]


@dataclass(slots=True)
class Contrary:
    first: Finding
    second: Finding
    similarity: float


class FindingAnalyser:
    def __init__(self, embed, terminology: Terminology | None = None):
        """``embed(texts) -> np.ndarray`` of L2-normalised rows (the search package's e5 model)."""
        self.embed = embed
        self.terms = terminology or get_terminology()
        self.topic: frozenset[str] = frozenset()

    def about(self, question: str, lang: str) -> None:
        """The question's own glossary terms: every record found for it shares them, so they show no two findings
        say the same thing ("Alzheimer disease" and "mild cognitive impairment" for CSF biomarkers in MCI)."""
        self.topic = frozenset(entry.en.lower() for _, _, entry in self.terms.find_terms(question, lang))

    def shared_terms(self, a: Finding, b: Finding) -> set[str]:
        """Glossary terms both findings name, the question's aside (and their parts: "cerebrospinal fluid" of
        "cerebrospinal fluid biomarker")."""
        return {t for t in a.terms & b.terms if not any(t in topic for topic in self.topic)}

    def finding(self, pmid: int, field: EvidenceField, rank: int) -> Finding:
        terms = frozenset(entry.en.lower() for _, _, entry in self.terms.find_terms(field.quote, "en")) - METHOD_TERMS
        return Finding(pmid, field, rank, direction(field.quote), terms)

    def similarities(self, findings: Sequence[Finding]) -> np.ndarray:
        if not findings:
            return np.zeros((0, 0), np.float32)
        vectors = self.embed([f.quote for f in findings])
        return vectors @ vectors.T

    def groups(self, findings: Sequence[Finding], similarity: np.ndarray, anchors: int | None = None) -> list[Group]:
        """Statements around anchors: ``findings[:anchors]`` may each head a statement (the record's chosen findings
        and conclusion); the rest (its other result sentences) may only back one. The finding most other records
        agree with heads the first statement, and from each other record its closest finding stating the same
        thing *as the anchor* joins it — exactly the pair Verify checks, so a statement cites no record its quote
        does not match; a finding backs one statement at most. Anchors nobody agrees with stay single."""
        anchors = len(findings) if anchors is None else anchors
        agreeing = [[j for j in range(len(findings)) if self.same(findings[i], findings[j], float(similarity[i, j]))]
                    for i in range(anchors)]
        order = sorted(range(anchors), key=lambda i: (-len({findings[j].pmid for j in agreeing[i]}), findings[i].rank, i))
        used: set[int] = set()
        groups: list[tuple[int, list[int]]] = []
        for i in order:
            if i in used:
                continue
            used.add(i)
            members = [i]
            best: dict[int, int] = {}  # record -> its finding closest to the anchor
            for j in agreeing[i]:
                pmid = findings[j].pmid
                if j not in used and (pmid not in best or similarity[i, j] > similarity[i, best[pmid]]):
                    best[pmid] = j
            for j in sorted(best.values(), key=lambda j: (findings[j].rank, j)):
                used.add(j)
                members.append(j)
            groups.append((i, members))
        return [Group([findings[j] for j in members]) for i, members in sorted(groups, key=lambda g: (findings[g[0]].rank, g[0]))]

    def same(self, a: Finding, b: Finding, similarity: float) -> bool:
        """Different records, close in meaning, sharing concepts besides the question's, each stating an effect (or
        its absence) and not pointing opposite ways. A sentence stating none — a method ("we compared…"), an open
        question ("its role is unclear") — is on the same subject but backs no finding."""
        return (a.pmid != b.pmid and a.direction is not None and b.direction is not None
                and similarity >= SAME_MIN and len(self.shared_terms(a, b)) >= MIN_SHARED_TERMS
                and not opposite(a.direction, b.direction))

    @staticmethod
    def contrary(a: Finding, b: Finding, similarity: float) -> bool:
        """Opposite directions on the same subject (two shared glossary concepts at least): up against down,
        or an effect against none."""
        if a.pmid == b.pmid or not opposite(a.direction, b.direction):
            return False
        return similarity >= SUBJECT_MIN and len(a.terms & b.terms) >= 2

    def contraries(self, findings: Sequence[Finding], similarity: np.ndarray) -> tuple[list[Contrary], int]:
        """Contrary pairs, most similar first, each finding in at most one pair; and how many pairs were
        compared (both with a direction, different records) — what a 'no disagreement' statement rests on."""
        candidates, compared = [], 0
        for i in range(len(findings)):
            for j in range(i + 1, len(findings)):
                a, b = findings[i], findings[j]
                if a.pmid == b.pmid or a.direction is None or b.direction is None:
                    continue
                compared += 1
                if self.contrary(a, b, float(similarity[i, j])):
                    candidates.append((float(similarity[i, j]), i, j))
        pairs, used = [], set()
        for score, i, j in sorted(candidates, reverse=True):
            if i in used or j in used:
                continue
            used |= {i, j}
            pairs.append(Contrary(findings[i], findings[j], round(score, 3)))
        return pairs, compared
