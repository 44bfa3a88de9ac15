"""Synthesise: themes from embedding clusters named by their MeSH headings, then an extractive draft.

Every finding sentence is a verbatim abstract sentence behind a short attribution ("Mattsson et al. (2009;
prospective cohort study, 750 individuals) reported that …"), so the draft cannot misquote; a model, when
configured, adds one connective sentence per theme that the verifier then checks like any other claim.
The draft is written in English; ``Localiser`` puts it into the reader's language after verification.

Length is set by design: the draft first quotes everything worth quoting (every finding of every record, its
conclusion, background, limitations), then ``trimming`` takes out what costs the review least until it fits
``research.max_words``, so a corpus with enough material gives a review just under the budget.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterator, Mapping, Sequence

import numpy as np

from medbridge.corpus.models import Record
from medbridge.llm.base import LLM, ChatMessage, ChatRequest, LLMError
from medbridge.research.citations import CITATION_MARK, first_author_label, parse_marker
from medbridge.research.evidence import profile, rank, support_note
from medbridge.research.models import Draft, EvidenceCard, EvidenceField, EvidenceLevel, Paragraph, Plan, Section, Sentence
from medbridge.research.text import count_words
from medbridge.research.vectors import kmeans
from medbridge.terms import Terminology, get_terminology

NULL_RESULT = re.compile(
    r"\b(?:no significant|not significantly|did not|does not|do not|was not|were not|no (?:association|difference|"
    r"effect|benefit|evidence|correlation|relationship)|failed to|neither|inconsistent|conflicting|controvers\w+|"
    r"not (?:associated|related|correlated|effective))\b",
    re.I,
)
# MeSH branches that describe who or how (Humans, Aged, Male, Cohort Studies, countries), not a theme.
_NON_TOPICAL_TREES = ("M01", "B01", "Z01", "N05", "N06", "E05.318", "E05.337", "H01", "K01", "V0", "L01")
_CHECK_TAGS = frozenset({"Male", "Female", "Humans", "Animals", "Aged", "Adult", "Middle Aged", "Aged, 80 and over"})
MAX_BACKGROUND, MIN_BACKGROUND = 2, 1
MAX_GAPS, MIN_GAPS = 4, 2
MIN_STUDIES_PER_THEME = 2  # trimming never thins a theme below its top-ranked records
THEME_PROMPT = (
    "You write one sentence of a biomedical literature review. Summarise what the numbered findings below "
    "have in common, using only facts stated in them. Cite the findings you use with their numbers in brackets, "
    "like [1] or [2][3]. Reply with the single sentence only."
)

UI = {
    "background": {"en": "Background", "zh": "背景"},
    "findings": {"en": "Findings by theme", "zh": "按主题归纳的研究发现"},
    "disagreements": {"en": "Points of disagreement", "zh": "分歧与不一致之处"},
    "gaps": {"en": "Gaps and limitations", "zh": "研究空白与局限"},
    "scope": {
        "en": "This review addresses the question “{q}”. It draws on {n} records from the local corpus retrieved for: {query}.",
        "zh": "本综述针对问题“{q}”，依据本地文献库中检索到的 {n} 篇记录（检索式：{query}）。",
    },
    "theme_intro": {"en": "{n} of the records address {theme}.", "zh": "有 {n} 篇记录涉及“{theme}”。"},
    "theme_intro_part": {
        "en": "{n} of the records address {theme}; {shown} of them are summarised here.",
        "zh": "有 {n} 篇记录涉及“{theme}”，此处概述其中 {shown} 篇。",
    },
    "disagree_intro": {
        "en": "Not every study points the same way: the following results are null or run against the main findings.",
        "zh": "并非所有研究结论一致：以下结果为阴性或与主要发现相悖。",
    },
    "no_disagreement": {
        "en": "None of the {n} records reports a null or contrary result in its abstract; abstracts tend to emphasise positive findings, so this is no proof of agreement.",
        "zh": "{n} 篇记录的摘要中均未报告阴性或相反的结果；摘要往往侧重阳性发现，这并不证明各研究结论一致。",
    },
    "gaps_intro": {"en": "The authors themselves point to open questions and limitations.", "zh": "原作者指出了以下尚待解决的问题和局限。"},
    "evidence_profile": {
        "en": "By level of evidence, the {n} records comprise {profile}; the findings below are ordered by that level.",
        "zh": "按证据等级，{n} 篇记录包括{profile}；下文各主题中的发现按证据等级排列。",
    },
    "sample_sizes": {
        "en": "{sized} of the {human} human studies state their sample size in the abstract.",
        "zh": "{human} 项人类研究中有 {sized} 项在摘要中说明了样本量。",
    },
    "reported": {"en": "{who} reported that {quote}", "zh": "{who}报告：{quote}"},
    "concluded": {"en": "They concluded that {quote}", "zh": "作者的结论是：{quote}"},
}


def ui(key: str, lang: str, **values: object) -> str:
    return UI[key][lang].format(**values)


def as_clause(quote: str) -> str:
    """'The AUC was …' → 'the AUC was …' after "reported that"; acronyms and names keep their capital."""
    first = quote.split(" ", 1)[0]
    if first == "A" or (len(first) > 1 and first[0].isupper() and first[1:].islower() and first.isalpha()):
        return quote[0].lower() + quote[1:]
    return quote


def quotable(field: EvidenceField | None) -> bool:
    """A quote with "[45]"-like brackets (a statistic) would read as a citation marker in the review."""
    return field is not None and not CITATION_MARK.search(field.quote)


def chinese_attribution(template: str, record: Record, quote: str) -> str:
    """A quoted finding as the Chinese review frames it: 'Mattsson 等（2009）报告：' + quote."""
    return ui(template, "zh", who=first_author_label(record, "zh"), quote=quote)


@dataclass(slots=True)
class Theme:
    label_en: str
    label: str                 # in the review's language
    pmids: list[int]           # by search rank


@dataclass(slots=True)
class Study:
    """What one record contributes to its theme: non-null findings in abstract order, then its conclusion."""

    pmid: int
    rank: int                  # search rank among the sources, 0 = best
    findings: list[EvidenceField]
    conclusion: EvidenceField | None

    def quotes(self) -> list[EvidenceField]:
        return self.findings + ([self.conclusion] if self.conclusion else [])


@dataclass(slots=True)
class Selection:
    """The quotes a draft is written from; trimming shrinks it and the draft is written again."""

    background: list[tuple[int, EvidenceField]]
    studies: list[list[Study]]                 # per theme, by rank
    connectives: list[Sentence | None]         # per theme, written once (a model call each)
    nulls: list[tuple[int, EvidenceField]]     # null or contrary results: never trimmed, see ``trimming``
    limitations: list[tuple[int, EvidenceField]]


def trimming(selection: Selection) -> Iterator[None]:
    """Shrink ``selection`` one step at a time, cheapest loss first; the caller measures after every step.

    1. extra findings of a record beyond its first, lowest-ranked records first;
    2. limitations and background down to their minimum;
    3. each record down to one sentence, lowest-ranked first: its conclusion, the authors' own summary of it;
    4. whole records, the lowest-ranked of the largest theme first, each theme keeping its top records.
    Null results stay: dropping them would make the evidence look more uniform than it is. Every remaining
    sentence is still a verbatim, cited quote, so trimming cannot weaken the citations.
    """
    studies = sorted((s for group in selection.studies for s in group), key=lambda s: -s.rank)
    for keep in range(max((len(s.findings) for s in studies), default=1) - 1, 0, -1):
        for study in studies:
            if len(study.findings) > keep:
                del study.findings[keep:]
                yield
    for quotes, least in ((selection.limitations, MIN_GAPS), (selection.background, MIN_BACKGROUND)):
        while len(quotes) > least:
            quotes.pop()
            yield
    for study in studies:
        if study.findings and study.conclusion:
            study.findings.clear()
            yield
    while thick := [g for g in selection.studies if len(g) > MIN_STUDIES_PER_THEME]:
        largest = max(thick, key=lambda g: (len(g), g[-1].rank))
        largest.pop()
        yield


class Synthesiser:
    def __init__(self, max_words: int, terminology: Terminology | None = None, llm: LLM | None = None):
        self.max_words = max_words
        self.terms = terminology or get_terminology()
        self.llm = llm

    # -- themes -------------------------------------------------------------------------------------------
    def themes(self, plan: Plan, ranked: Sequence[Record], vectors: np.ndarray) -> list[Theme]:
        n = len(ranked)
        k = 1 if n < 6 else min(5, max(2, round(n / 5)))
        labels = kmeans(vectors, k)
        groups: dict[int, list[Record]] = {}
        for record, label in zip(ranked, labels):
            groups.setdefault(int(label), []).append(record)
        topical = {r.pmid: self._topical_mesh(r, plan) for r in ranked}
        everywhere = Counter(h for r in ranked for h in topical[r.pmid])
        themes: list[Theme] = []
        used: set[str] = set()
        for members in sorted(groups.values(), key=lambda rs: ranked.index(rs[0])):
            inside = Counter(h for r in members for h in topical[r.pmid])
            # Distinctive headings: frequent in this group, rare in the others.
            candidates = sorted(inside, key=lambda h: (-(inside[h] / (1 + everywhere[h] - inside[h])), -inside[h], h))
            name = next((h for h in candidates if h not in used), None) or (plan.mesh[0] if plan.mesh else "Other studies")
            used.add(name)
            themes.append(Theme(name, self._label(name, plan.lang), [r.pmid for r in members]))
        return themes

    def _topical_mesh(self, record: Record, plan: Plan) -> list[str]:
        headings = []
        for heading in record.mesh:
            if heading.descriptor in _CHECK_TAGS or heading.descriptor in plan.mesh:
                continue
            descriptor = self.terms.mesh(heading.ui) if heading.ui else None
            if descriptor and descriptor.tree_numbers and all(t.startswith(_NON_TOPICAL_TREES) for t in descriptor.tree_numbers):
                continue
            headings.append(heading.descriptor)
        return headings

    def _label(self, mesh_name: str, lang: str) -> str:
        if lang == "zh":
            entries = self.terms.lookup_en(mesh_name)
            if entries:
                return entries[0].zh
        return mesh_name

    # -- draft --------------------------------------------------------------------------------------------
    def process(self, plan: Plan, cards: Sequence[EvidenceCard], records: Mapping[int, Record], themes: Sequence[Theme]) -> Draft:
        """The longest draft the evidence gives, trimmed until it fits ``max_words`` (or nothing is left to trim)."""
        selection = self._select(cards, themes)
        draft = self._write(plan, cards, records, themes, selection)
        if self.delivered_words(draft, records) > self.max_words:
            for _ in trimming(selection):
                draft = self._write(plan, cards, records, themes, selection)
                if self.delivered_words(draft, records) <= self.max_words:
                    break
        return draft

    @staticmethod
    def delivered_words(draft: Draft, records: Mapping[int, Record]) -> int:
        """The review's length as the reader gets it. Findings of a Chinese draft are still English here: each is
        counted inside its Chinese attribution, as ``Localiser`` writes it. A model's translation of a quote runs
        0.87–1.03 segmented words per English word (reference translations of three sample abstracts), so the
        estimate is exact without a model and errs long with one."""

        def words(sentence: Sentence) -> int:
            note = count_words(sentence.note)
            if draft.lang == "zh" and sentence.template:
                return note + count_words(chinese_attribution(sentence.template, records[sentence.citations[0]], sentence.checked_text))
            return note + count_words(sentence.text)

        return draft.word_count(words)

    def _select(self, cards: Sequence[EvidenceCard], themes: Sequence[Theme]) -> Selection:
        """Every quote the draft may use, each used once: background, each record's findings and conclusion
        (null results set aside for the disagreements), then the authors' limitations."""
        by_pmid = {c.pmid: c for c in cards}
        rank = {c.pmid: i for i, c in enumerate(cards)}
        used: set[str] = set()
        background = [(c.pmid, c.background) for c in cards if c.background and quotable(c.background)][:MAX_BACKGROUND]
        used.update(field.quote for _, field in background)
        nulls: list[tuple[int, EvidenceField]] = []
        studies: list[list[Study]] = []
        for theme in themes:
            group = []
            for pmid in theme.pmids:
                card = by_pmid[pmid]
                study = Study(pmid, rank[pmid], [], None)
                for field in card.findings:
                    if quotable(field) and field.quote not in used:
                        used.add(field.quote)
                        if NULL_RESULT.search(field.quote):
                            nulls.append((pmid, field))
                        else:
                            study.findings.append(field)
                conclusion = card.conclusion
                if conclusion and quotable(conclusion) and conclusion.quote not in used:
                    used.add(conclusion.quote)
                    if NULL_RESULT.search(conclusion.quote) and not study.findings:
                        nulls.append((pmid, conclusion))
                    else:
                        study.conclusion = conclusion
                if study.quotes():
                    group.append(study)
            studies.append(group)
        limitations = []
        for card in cards:
            for field in card.limitations:
                if quotable(field) and field.quote not in used and len(limitations) < MAX_GAPS:
                    used.add(field.quote)
                    limitations.append((card.pmid, field))
        connectives = self._connectives(themes, by_pmid)
        return Selection(background, studies, connectives, nulls, limitations)

    def _write(self, plan: Plan, cards: Sequence[EvidenceCard], records: Mapping[int, Record], themes: Sequence[Theme],
               selection: Selection) -> Draft:
        lang = plan.lang
        by_pmid = {c.pmid: c for c in cards}

        def finding(pmid: int, field: EvidenceField, template: str) -> Sentence:
            label = first_author_label(records[pmid], "en")
            text = UI[template]["en"].format(who=label, quote=as_clause(field.quote))
            return Sentence(text=text, citations=[pmid], source_text=field.quote, origin="quote", template=template)

        def meta(text: str) -> Sentence:
            return Sentence(text, kind="meta", origin="template")

        background = Section("background", ui("background", lang), heading_en=UI["background"]["en"])
        levels = [c.level for c in cards if c.level]
        background.paragraphs.append(Paragraph([
            meta(ui("scope", lang, q=plan.question, n=len(cards), query=plan.pubmed_query)),
            *([meta(ui("evidence_profile", lang, n=len(levels), profile=profile(levels, lang)))] if levels else []),
        ]))
        if selection.background:
            background.paragraphs.append(Paragraph([Sentence(field.quote, [pmid], origin="quote") for pmid, field in selection.background]))

        theme_sections: list[Section] = []
        for theme, studies, connective in zip(themes, selection.studies, selection.connectives):
            section = Section("theme", theme.label, heading_en=theme.label_en)
            n, shown = len(theme.pmids), len(studies)
            # n counts the retrieved records of the theme; say so when fewer of them are quoted below.
            intro = ui("theme_intro" if shown == n else "theme_intro_part", lang, n=n, theme=theme.label, shown=shown)
            section.paragraphs.append(Paragraph([meta(intro)] + ([connective] if connective else [])))
            for study in sorted(studies, key=lambda s: (rank(by_pmid[s.pmid].level), s.rank)):
                sentences = [finding(study.pmid, field, "reported") for field in study.findings]
                if study.conclusion:
                    sentences.append(finding(study.pmid, study.conclusion, "concluded" if sentences else "reported"))
                section.paragraphs.append(Paragraph(sentences))
            theme_sections.append(section)

        disagreements = Section("disagreements", ui("disagreements", lang), heading_en=UI["disagreements"]["en"])
        if selection.nulls:
            disagreements.paragraphs.append(Paragraph([meta(ui("disagree_intro", lang))]))
            disagreements.paragraphs.append(Paragraph([finding(pmid, field, "reported") for pmid, field in selection.nulls]))
        else:
            disagreements.paragraphs.append(Paragraph([meta(ui("no_disagreement", lang, n=len(cards)))]))

        gaps = Section("gaps", ui("gaps", lang), heading_en=UI["gaps"]["en"])
        human = [c.level for c in cards if c.level and c.level.kind == "human"]
        if human:
            sized = sum(1 for level in human if level.sample_size)
            gaps.paragraphs.append(Paragraph([meta(ui("sample_sizes", lang, human=len(human), sized=sized))]))
        if selection.limitations:
            gaps.paragraphs.append(Paragraph([meta(ui("gaps_intro", lang)),
                                              *(Sentence(field.quote, [pmid], origin="quote") for pmid, field in selection.limitations)]))

        sections = [background]
        if theme_sections:
            sections.append(Section("findings", ui("findings", lang), heading_en=UI["findings"]["en"]))
            sections.extend(theme_sections)
        sections += [disagreements, gaps]
        return annotate(Draft(title=plan.question, lang=lang, sections=sections), {c.pmid: c.level for c in cards})

    def _connectives(self, themes: Sequence[Theme], cards: Mapping[int, EvidenceCard]) -> list[Sentence | None]:
        """Per theme one model-written sentence tying its first findings together (None without a model, or
        where it does not cite); the themes' requests are generated together."""
        listings: list[list[tuple[int, str]]] = []
        for theme in themes:
            numbered: list[tuple[int, str]] = []
            for pmid in theme.pmids:
                card = cards[pmid]
                field = card.conclusion or (card.findings[0] if card.findings else None)
                if field:
                    numbered.append((pmid, field.quote[:300]))
                if len(numbered) == 4:
                    break
            listings.append(numbered)
        asked = [i for i, numbered in enumerate(listings) if len(numbered) >= 2]
        if self.llm is None or not asked:
            return [None] * len(themes)
        requests = [
            ChatRequest(
                [ChatMessage("system", THEME_PROMPT),
                 ChatMessage("user", f"Theme: {themes[i].label_en}\n" + "\n".join(f"[{n}] {quote}" for n, (_, quote) in enumerate(listings[i], 1)))],
                max_tokens=90,
            )
            for i in asked
        ]
        try:
            replies = self.llm.complete_many(requests, temperature=0.0, stop=["\n"])
        except LLMError:
            return [None] * len(themes)
        connectives: list[Sentence | None] = [None] * len(themes)
        for i, reply in zip(asked, replies):
            connectives[i] = _cited_sentence(reply.strip(), listings[i])
        return connectives


def annotate(draft: Draft, levels: Mapping[int, EvidenceLevel | None]) -> Draft:
    """Each finding's note: the evidence level of the records it cites (again after Verify drops citations)."""
    for sentence in draft.sentences():
        if sentence.kind == "finding" and sentence.citations:
            sentence.note = support_note([levels.get(p) for p in sentence.citations], draft.lang)
    return draft


def _cited_sentence(reply: str, numbered: Sequence[tuple[int, str]]) -> Sentence | None:
    """The model's connective sentence with its [n] markers as citations; one that does not cite is dropped,
    not trusted."""
    numbers = [n for n in parse_marker(reply) if 1 <= n <= len(numbered)]
    text = re.sub(r"\s*\[[\d,\s–-]+\]", "", reply).strip()
    if not numbers or len(text) < 20:
        return None
    citations = list(dict.fromkeys(numbered[n - 1][0] for n in numbers))
    return Sentence(text=text, citations=citations, source_text=text, origin="llm")
