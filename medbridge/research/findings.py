"""Findings across records: which state the same thing (merged into one statement) and which contradict.

Two findings of different records state the same thing when they name the same things the glossary does not
know (acronyms, gene variants, alleles: "KL-VS", "NPS", "ε4") and either
- are close in wording (e5 cosine ≥ 0.915), share two glossary concepts besides the question's own and
  statistics or method terms, do not point opposite ways, and the second names each of the question's concepts
  the first names (its outcome: "Alzheimer disease", not only the markers); or
- report the same kind of result: the same glossary concepts, counted as MeSH descriptors ("Aβ42" and "amyloid
  beta" are one; the question's own included, for a question's core finding is about them), the same direction
  of effect, and still about the same subject (e5 ≥ 0.88) — "physical activity was associated with the rate of
  cognitive decline" and "walking was related to slower cognitive decline", in different numbers.
A sentence stating an aim ("we sought to determine…"), a hypothesis or an open question ("it is not yet clear…")
states no finding. Two findings
contradict when they share concepts and are on the same subject but point opposite ways: increase against
decrease, protective against harmful, an effect against no effect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from medbridge.research.models import EvidenceField
from medbridge.terms import GlossaryEntry, Terminology

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
# An aim, a hypothesis or an open question names the subject of a finding without stating one.
_NO_FINDING = re.compile(
    r"\b(?:(?:sought|aimed?|designed|conducted (?:an? )?(?:\w+ ){0,2}(?:study|trial|analysis)) to|to (?:determine|investigate|"
    r"examine|assess|evaluate|test|explore) (?:whether|if|how|the)|hypothes[ie]s|hypothesi[sz]e[sd]?|unclear|"
    r"not (?:yet )?(?:clear|known)|unknown|remains? to be|uncertain)\b",
    re.I,
)
# Names the glossary does not know: acronyms and letter-digit names ("KL-VS", "NPS", "R251G"), and alleles ("ε4",
# "APOE4", "epsilon 4"). Statistics abbreviations name no subject.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]")
_PARENTHESIS = re.compile(r"\([^()]*\)")
_ALLELE = re.compile(r"(?:ε|epsilon[ -]?|APOE[ -]?(?=\d))(\d)", re.I)
_STATISTICS = frozenset({"hr", "or", "rr", "ci", "sd", "se", "iqr", "auc", "roc", "ns", "vs", "p"})
# Glossary categories that name how a study measured, not what it found about.
_METHOD_CATEGORIES = frozenset({"method", "statistics", "design"})
_EFFECT = re.compile(r"\b(?:associated|associations?|correlat\w*|related|linked|predict\w*|significant\w*|effects?|"
                     r"influenc\w*|contribut\w*|affect(?:ed|s)|risk)\b", re.I)


def direction(text: str) -> Direction | None:
    """The way a finding points. null: it reports no effect and nothing else; up or down: all its directed
    words point one way; effect: an effect, either way or mixed (Aβ42 lower, tau higher); None: it states
    none (an aim, an open question), or mixes a null result with an effect (not comparable as a whole)."""
    if _NO_FINDING.search(text):
        return None
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
    concepts: frozenset[str]         # the same as MeSH descriptors where the glossary knows one (else the term)
    names: frozenset[str]            # what it names that the glossary does not know, lower-cased

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
    def __init__(self, embed, terminology: Terminology):
        """``embed(texts) -> np.ndarray`` of L2-normalised rows (the search package's e5 model)."""
        self.embed = embed
        self.terms = terminology
        self.topic: frozenset[str] = frozenset()
        self.topic_concepts: frozenset[str] = frozenset()
        self._concepts: dict[str, str] = {}

    def about(self, question: str, lang: str) -> None:
        """The question's own glossary terms: every record found for it shares them, so they show no two findings
        say the same thing ("Alzheimer disease" and "mild cognitive impairment" for CSF biomarkers in MCI)."""
        found = [entry for _, _, entry in self.terms.find_terms(question, lang)]
        self.topic = frozenset(entry.en.lower() for entry in found)
        self.topic_concepts = frozenset(self.concept(entry) for entry in found)

    def shared_terms(self, a: Finding, b: Finding) -> set[str]:
        """Glossary terms both findings name, the question's aside (and their parts: "cerebrospinal fluid" of
        "cerebrospinal fluid biomarker")."""
        return {t for t in a.terms & b.terms if not any(t in topic for topic in self.topic)}

    def finding(self, pmid: int, field: EvidenceField, rank: int) -> Finding:
        found = [(start, end, entry) for start, end, entry in self.terms.find_terms(field.quote, "en")
                 if entry.en.lower() not in METHOD_TERMS and entry.category not in _METHOD_CATEGORIES]
        terms = frozenset(entry.en.lower() for _, _, entry in found)
        concepts = frozenset(self.concept(entry) for _, _, entry in found)
        return Finding(pmid, field, rank, direction(field.quote), terms, concepts, self._names(field.quote, found))

    def concept(self, entry: GlossaryEntry) -> str:
        """The entry's MeSH descriptor; for an entry without one, that of its longest part that has one in the same
        category ("total tau" → tau Proteins, "amyloid beta 42" → Amyloid beta-Peptides); else its English term."""
        key = entry.en.lower()
        if key not in self._concepts:
            words, found = key.split(), entry.mesh_ui
            for n in range(len(words) - 1, 0, -1):
                parts = (" ".join(words[s:s + n]) for s in range(len(words) - n + 1))
                found = found or next((e.mesh_ui for part in parts for e in self.terms.lookup_en(part)
                                       if e.mesh_ui and e.category == entry.category), None)
            self._concepts[key] = found or key
        return self._concepts[key]

    @staticmethod
    def _names(text: str, found: list[tuple[int, int, GlossaryEntry]]) -> frozenset[str]:
        """Names outside glossary terms and outside parentheses (which abbreviate or label what the sentence says:
        "(EAO)", "(Tg2576)")."""
        names = {"ε" + m.group(1) for m in _ALLELE.finditer(text)}
        skip = [(start, end) for start, end, _ in found] + [m.span() for m in _PARENTHESIS.finditer(text)]
        for match in _NAME.finditer(text):
            word = match.group(0)
            if word.lower() in _STATISTICS or any(start <= match.start() < end for start, end in skip) or _ALLELE.fullmatch(word):
                continue
            if sum(c.isupper() for c in word) >= 2 or (any(c.isdigit() for c in word) and any(c.isalpha() for c in word)):
                names.add(word.lower())
        return frozenset(names)

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
        does not match; a finding backs one statement at most. Anchors nobody agrees with stay single. A finding of the
        anchor's own record that restates it joins no statement of its own: a paper is not a list of its sentences."""
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
            # The anchor's record saying it again (a result and the conclusion restating it) is the same statement.
            used.update(j for j in range(len(findings)) if findings[j].pmid == findings[i].pmid and j not in used
                        and self.restates(findings[i], findings[j], float(similarity[i, j])))
            groups.append((i, members))
        return [Group([findings[j] for j in members]) for i, members in sorted(groups, key=lambda g: (findings[g[0]].rank, g[0]))]

    def same(self, a: Finding, b: Finding, similarity: float) -> bool:
        """Different records stating the same finding (see the module's notes)."""
        return a.pmid != b.pmid and self.restates(a, b, similarity)

    def restates(self, a: Finding, b: Finding, similarity: float) -> bool:
        """Whether ``b`` states ``a``'s finding, whichever records they come from. Each must state an effect (or its
        absence): a sentence stating none — a method ("we compared…"), an aim, an open question ("its role is
        unclear") — is on the same subject but backs no finding."""
        if a.direction is None or b.direction is None or a.names != b.names:
            return False
        if (similarity >= SAME_MIN and len(self.shared_terms(a, b)) >= MIN_SHARED_TERMS
                and a.concepts & self.topic_concepts <= b.concepts
                and not opposite(a.direction, b.direction)):
            return True
        return (similarity >= SUBJECT_MIN and a.direction == b.direction and a.concepts == b.concepts
                and len(a.concepts) >= MIN_SHARED_TERMS)

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
