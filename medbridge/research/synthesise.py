"""Synthesise: themes from embedding clusters named by their MeSH headings, then a draft of statements.

A statement is one finding, merged across records: findings of different records that state the same thing
(``research.findings``) become one statement citing all of them. Without a model it is the clearest of their
verbatim quotes, "consistent with" the others ("Mattsson et al. (2009) reported that … [3] (consistent with
[6,13])"); with one, the model writes the shared finding from the quotes ("Several studies found that …
[3,6,13]"), and Verify checks it against each cited record. Statements sit in the theme most of their records
belong to, ordered by evidence level (human designs first, then animal, cell, other), so a paper appears where
its finding belongs. Findings of different records that point in opposite directions on the same subject are
shown side by side under the disagreements. The draft is written in English; ``Localiser`` puts it into the
reader's language after verification.

Length is set by design: the draft first states everything worth stating (every finding and conclusion of
every record, background, limitations), then ``trimming`` takes out what costs the review least until it fits
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
from medbridge.research.citations import CITATION_MARK, first_author_label
from medbridge.research.evidence import profile, rank, support_note
from medbridge.research.extract import result_sentences
from medbridge.research.findings import Contrary, Finding, FindingAnalyser, Group
from medbridge.research.models import (Draft, EvidenceCard, EvidenceField, EvidenceLevel, Paragraph, Plan, Section,
                                       Sentence, Support)
from medbridge.research.text import count_words
from medbridge.research.vectors import SentenceEmbeddings, kmeans
from medbridge.terms import Terminology

# MeSH branches that describe who or how (Humans, Aged, Male, Cohort Studies, countries), not a theme.
_NON_TOPICAL_TREES = ("M01", "B01", "Z01", "N05", "N06", "E05.318", "E05.337", "H01", "K01", "V0", "L01")
_CHECK_TAGS = frozenset({"Male", "Female", "Humans", "Animals", "Aged", "Adult", "Middle Aged", "Aged, 80 and over"})
MAX_BACKGROUND, MIN_BACKGROUND = 2, 1
MAX_GAPS, MIN_GAPS = 4, 2
MAX_GLOSS_TERMS = 4
MIN_STATEMENTS_PER_THEME = 2
STATEMENTS_PER_PARAGRAPH = 3
MAX_STATEMENTS_PER_RECORD = 2  # trimming never thins a theme below its best statements
STATEMENT_PROMPT = (
    "You write one sentence of a biomedical literature review. The numbered findings below come from different "
    "studies and report the same result. Write one English sentence beginning 'Several studies found that' which "
    "states only what all of them report. No numbers, no study names, no citations. Reply with the sentence only."
)

UI = {
    "background": {"en": "Background", "zh": "背景"},
    "findings": {"en": "Findings by theme", "zh": "按主题归纳的研究发现"},
    "disagreements": {"en": "Points of disagreement", "zh": "分歧与不一致之处"},
    "gaps": {"en": "Gaps and limitations", "zh": "研究空白与局限"},
    "other_theme": {"en": "Other findings", "zh": "其他研究发现"},
    "scope": {
        "en": "This review addresses the question “{q}”. It draws on {n} records of the local corpus; the search is given under “About this review”.",
        "zh": "本综述针对问题“{q}”，依据本地文献库中检索到的 {n} 篇记录（检索式见“关于本综述”）。",
    },
    "evidence_profile": {
        "en": "By level of evidence, the {n} records comprise {profile}; the findings below are ordered by that level.",
        "zh": "按证据等级，{n} 篇记录包括{profile}；下文各主题中的发现按证据等级排列。",
    },
    "theme_intro": {"en": "{n} of the records address {theme}.", "zh": "有 {n} 篇记录涉及“{theme}”。"},
    "theme_intro_part": {
        "en": "{n} of the records address {theme}; findings of {shown} of them are summarised here.",
        "zh": "有 {n} 篇记录涉及“{theme}”，此处概述其中 {shown} 篇的发现。",
    },
    "disagree_intro": {
        "en": "These findings of different records point in opposite directions on the same subject:",
        "zh": "以下不同研究在同一问题上的结论方向相反：",
    },
    "contrary_subject": {"en": "On {subject}:", "zh": "关于“{subject}”："},
    "contrary_subject_unnamed": {"en": "On the same subject:", "zh": "关于同一问题："},
    "no_disagreement": {
        "en": "The direction of effect of {compared} pairs of findings from different records was compared; none points opposite to another on the same subject. Abstracts tend to emphasise positive findings, so this is no proof of agreement.",
        "zh": "本综述比较了不同记录间 {compared} 对研究发现的效应方向，未发现同一问题上方向相反的结果；摘要往往侧重阳性发现，这并不证明各研究结论一致。",
    },
    "not_checked": {
        "en": "No two records state a direction of effect that could be compared, so disagreement could not be checked.",
        "zh": "不同记录中没有可比较效应方向的研究发现，因此无法检查是否存在分歧。",
    },
    "sample_sizes": {
        "en": "{sized} of the {human} human studies state their sample size in the abstract.",
        "zh": "{human} 项人类研究中有 {sized} 项在摘要中说明了样本量。",
    },
    "gaps_intro": {"en": "The authors themselves point to open questions and limitations.", "zh": "原作者指出了以下尚待解决的问题和局限。"},
    "reported": {"en": "{who} reported that {quote}", "zh": "{who}报告：{quote}"},
    "whereas": {"en": "By contrast, {who} reported that {quote}", "zh": "而{who}报告：{quote}"},
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


def glossed_quote(english: str, terms: Terminology) -> str:
    """An English finding as a Chinese review shows it untranslated: in quotation marks, with a Chinese gloss
    of its glossary terms — never half-translated."""
    names = list(dict.fromkeys(entry.zh for _, _, entry in terms.find_terms(english, "en")))[:MAX_GLOSS_TERMS]
    return f"“{english}”（要点：{'、'.join(names)}）" if names else f"“{english}”（英文原句）"


@dataclass(slots=True)
class Theme:
    label_en: str
    label: str                 # in the review's language
    pmids: list[int]           # by search rank


@dataclass(slots=True)
class Statement:
    """One finding of the review: a group of records' findings that state the same thing."""

    group: Group
    theme: int                                 # index of the theme it belongs to
    evidence: int                              # best evidence rank among its records (lower = stronger)
    written: Sentence | None = None            # the model's wording, when one wrote it

    @property
    def record_rank(self) -> int:
        return min(m.rank for m in self.group.members)


@dataclass(slots=True)
class Selection:
    """What a draft is written from; trimming shrinks it and the draft is written again."""

    background: list[tuple[int, EvidenceField]]
    statements: list[Statement]
    contraries: list[Contrary]                 # never trimmed, see ``trimming``
    compared: int                              # pairs of findings whose directions were compared
    limitations: list[tuple[int, EvidenceField]]


def trimming(selection: Selection) -> Iterator[None]:
    """Shrink ``selection`` one step at a time, cheapest loss first; the caller measures after every step.

    1. limitations and background down to their minimum;
    2. statements, those backed by the fewest records first, then those of records quoted most often, then the
       weakest evidence, then the lowest-ranked records; each theme keeps its best ``MIN_STATEMENTS_PER_THEME``.
    Disagreements stay: dropping them would make the evidence look more uniform than it is. Every remaining
    statement keeps its checked citations, so trimming cannot weaken them.
    """
    for quotes, least in ((selection.limitations, MIN_GAPS), (selection.background, MIN_BACKGROUND)):
        while len(quotes) > least:
            quotes.pop()
            yield
    while True:
        per_theme = Counter(s.theme for s in selection.statements)
        removable = [s for s in selection.statements if per_theme[s.theme] > MIN_STATEMENTS_PER_THEME]
        if not removable:
            return
        # A record quoted in several statements loses its extra ones first: a paper is not a list of its sentences.
        per_record = Counter(s.group.members[0].pmid for s in selection.statements)
        cheapest = min(removable, key=lambda s: (len(s.group.members), -per_record[s.group.members[0].pmid],
                                                  -s.evidence, -s.record_rank))
        selection.statements.remove(cheapest)
        yield


class Synthesiser:
    def __init__(self, max_words: int, terminology: Terminology, llm: LLM | None = None,
                 embeddings: SentenceEmbeddings | None = None):
        self.max_words = max_words
        self.terms = terminology
        self.llm = llm
        self.analyser = FindingAnalyser((embeddings or SentenceEmbeddings()).vectors, self.terms)

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
            fresh = [h for h in candidates if h not in used]
            # A heading the review's language can name: a Chinese review never gets an English theme ("Phenotype").
            name = next((h for h in fresh if self._label(h, plan.lang)), None)
            if name is None:
                label_en, label = UI["other_theme"]["en"], ui("other_theme", plan.lang)
                if label in {t.label for t in themes}:
                    label_en, label = f"{label_en} ({len(themes) + 1})", f"{label}（{len(themes) + 1}）"
            else:
                used.add(name)
                label_en, label = name, self._label(name, plan.lang) or name
            themes.append(Theme(label_en, label, [r.pmid for r in members]))
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

    def _label(self, mesh_name: str, lang: str) -> str | None:
        """The heading in the review's language; None when the glossary has no Chinese for it."""
        if lang == "en":
            return mesh_name
        entries = self.terms.lookup_en(mesh_name)
        return entries[0].zh if entries else None

    # -- draft --------------------------------------------------------------------------------------------
    def process(self, plan: Plan, cards: Sequence[EvidenceCard], records: Mapping[int, Record], themes: Sequence[Theme]) -> Draft:
        """The longest draft the evidence gives, trimmed until it fits ``max_words`` (or nothing is left to trim)."""
        self.analyser.about(plan.question, plan.lang)
        selection = self._select(cards, records, themes)
        draft = self._write(plan, cards, records, themes, selection)
        if self.delivered_words(draft, records) > self.max_words:
            for _ in trimming(selection):
                draft = self._write(plan, cards, records, themes, selection)
                if self.delivered_words(draft, records) <= self.max_words:
                    break
        return draft

    def delivered_words(self, draft: Draft, records: Mapping[int, Record]) -> int:
        """The review's length as the reader gets it. Findings of a Chinese draft are still English here: each is
        counted as ``Localiser`` shows it without a model — the quote with its Chinese gloss, inside its Chinese
        attribution. A model's translation of a quote runs 0.87–1.03 segmented words per English word (reference
        translations of three sample abstracts), so the estimate is exact without a model and errs long with one."""

        def words(sentence: Sentence) -> int:
            note = count_words(sentence.note, self.terms)
            if draft.lang != "zh" or sentence.kind != "finding":
                return note + count_words(sentence.text, self.terms)
            shown = glossed_quote(sentence.checked_text, self.terms)
            if sentence.template:
                shown = chinese_attribution(sentence.template, records[sentence.citations[0]], shown)
            return note + count_words(shown, self.terms)

        return draft.word_count(self.terms, words)

    def _select(self, cards: Sequence[EvidenceCard], records: Mapping[int, Record], themes: Sequence[Theme]) -> Selection:
        """Every quote the draft may use, each once: background, every record's findings and conclusion (merged
        into statements, contrary pairs set aside for the disagreements), then the authors' limitations. Any
        other sentence of a record's results or conclusions may back another record's finding that it states."""
        record_rank = {c.pmid: i for i, c in enumerate(cards)}
        used: set[str] = set()
        background = [(c.pmid, c.background) for c in cards if c.background and quotable(c.background)][:MAX_BACKGROUND]
        used.update(field.quote for _, field in background)
        findings: list[Finding] = []
        for card in cards:
            for field in [*card.findings, *([card.conclusion] if card.conclusion else [])]:
                if quotable(field) and field.quote not in used:
                    used.add(field.quote)
                    findings.append(self.analyser.finding(card.pmid, field, record_rank[card.pmid]))
        backing = [self.analyser.finding(card.pmid, field, record_rank[card.pmid]) for card in cards
                   for field in result_sentences(records[card.pmid], self.terms) if quotable(field) and field.quote not in used]
        similarity = self.analyser.similarities([*findings, *backing])
        contraries, compared = self.analyser.contraries(findings, similarity)
        in_pairs = {id(f) for pair in contraries for f in (pair.first, pair.second)}
        keep = [i for i, f in enumerate(findings) if id(f) not in in_pairs]
        pool = [*keep, *range(len(findings), len(findings) + len(backing))]
        groups = self.analyser.groups([*(findings[i] for i in keep), *backing], similarity[np.ix_(pool, pool)], anchors=len(keep))

        levels = {c.pmid: c.level for c in cards}
        theme_of = {pmid: t for t, theme in enumerate(themes) for pmid in theme.pmids}
        statements = []
        for group in groups:
            votes = Counter(theme_of[p] for p in group.pmids if p in theme_of)
            best = max(votes.values(), default=0)
            theme = next((theme_of[p] for p in group.pmids if votes.get(theme_of.get(p, -1)) == best), 0)
            statements.append(Statement(group, theme, min(rank(levels.get(p)) for p in group.pmids)))
        statements = self._per_record(statements, cards)
        self._write_statements(statements)

        limitations = []
        for card in cards:
            for field in card.limitations:
                if quotable(field) and field.quote not in used and len(limitations) < MAX_GAPS:
                    used.add(field.quote)
                    limitations.append((card.pmid, field))
        return Selection(background, statements, contraries, compared, limitations)

    @staticmethod
    def _per_record(statements: list[Statement], cards: Sequence[EvidenceCard]) -> list[Statement]:
        """At most ``MAX_STATEMENTS_PER_RECORD`` statements quote one record: those other records agree with
        first, then its conclusion, then its findings in abstract order — a paper is not a list of its sentences."""
        conclusions = {c.conclusion.quote for c in cards if c.conclusion}
        order = sorted(range(len(statements)), key=lambda i: (len(statements[i].group.members) == 1,
                                                              statements[i].group.members[0].quote not in conclusions, i))
        quoted: Counter[int] = Counter()
        kept = set()
        for i in order:
            pmid = statements[i].group.members[0].pmid
            if quoted[pmid] < MAX_STATEMENTS_PER_RECORD:
                quoted[pmid] += 1
                kept.add(i)
        return [s for i, s in enumerate(statements) if i in kept]

    def _write(self, plan: Plan, cards: Sequence[EvidenceCard], records: Mapping[int, Record], themes: Sequence[Theme],
               selection: Selection) -> Draft:
        lang = plan.lang

        def quoted(finding: Finding, template: str = "reported") -> Sentence:
            text = UI[template]["en"].format(who=first_author_label(records[finding.pmid], "en"), quote=as_clause(finding.quote))
            return Sentence(text=text, citations=[finding.pmid], source_text=finding.quote, origin="quote", template=template,
                            supports=[Support(finding.pmid, finding.quote)])

        def statement(item: Statement) -> Sentence:
            if item.written is not None:
                return Sentence(item.written.text, list(item.written.citations), source_text=item.written.source_text,
                                origin="llm", supports=list(item.written.supports))
            members = item.group.members
            sentence = quoted(members[0])
            sentence.citations += [m.pmid for m in members[1:]]
            sentence.consistent = [m.pmid for m in members[1:]]
            sentence.supports += [Support(m.pmid, m.quote) for m in members[1:]]
            return sentence

        def meta(text: str) -> Sentence:
            return Sentence(text, kind="meta", origin="template")

        background = Section("background", ui("background", lang), heading_en=UI["background"]["en"])
        levels = [c.level for c in cards if c.level]
        background.paragraphs.append(Paragraph([
            meta(ui("scope", lang, q=plan.question, n=len(cards))),
            *([meta(ui("evidence_profile", lang, n=len(levels), profile=profile(levels, lang)))] if levels else []),
        ]))
        if selection.background:
            background.paragraphs.append(Paragraph([Sentence(field.quote, [pmid], origin="quote", supports=[Support(pmid, field.quote)])
                                                    for pmid, field in selection.background]))

        level_of = {c.pmid: c.level for c in cards}
        theme_sections: list[Section] = []
        for index, theme in enumerate(themes):
            items = sorted((s for s in selection.statements if s.theme == index),
                           key=lambda s: (s.evidence, -len(s.group.members), s.record_rank))
            if not items:
                continue
            section = Section("theme", theme.label, heading_en=theme.label_en)
            n, shown = len(theme.pmids), len({p for s in items for p in s.group.pmids if p in theme.pmids})
            intro = ui("theme_intro" if shown >= n else "theme_intro_part", lang, n=n, theme=theme.label, shown=shown)
            section.paragraphs.append(Paragraph([meta(intro)]))
            # Paragraphs of a few statements, never mixing kinds of evidence (human, animal, cell, other).
            paragraph: list[Sentence] = []
            kind = None
            for item in items:
                best = level_of.get(min(item.group.pmids, key=lambda p: rank(level_of.get(p))))
                if paragraph and (len(paragraph) == STATEMENTS_PER_PARAGRAPH or (best.kind if best else "other") != kind):
                    section.paragraphs.append(Paragraph(paragraph))
                    paragraph = []
                kind = best.kind if best else "other"
                paragraph.append(statement(item))
            section.paragraphs.append(Paragraph(paragraph))
            theme_sections.append(section)

        disagreements = Section("disagreements", ui("disagreements", lang), heading_en=UI["disagreements"]["en"])
        if selection.contraries:
            disagreements.paragraphs.append(Paragraph([meta(ui("disagree_intro", lang))]))
            for pair in selection.contraries:
                subject = self._subject(pair, lang)
                lead = ui("contrary_subject", lang, subject=subject) if subject else ui("contrary_subject_unnamed", lang)
                disagreements.paragraphs.append(Paragraph([meta(lead), quoted(pair.first), quoted(pair.second, "whereas")]))
        elif selection.compared:
            disagreements.paragraphs.append(Paragraph([meta(ui("no_disagreement", lang, compared=selection.compared))]))
        else:
            disagreements.paragraphs.append(Paragraph([meta(ui("not_checked", lang))]))

        gaps = Section("gaps", ui("gaps", lang), heading_en=UI["gaps"]["en"])
        human = [level for level in levels if level.kind == "human"]
        if human:
            sized = sum(1 for level in human if level.sample_size)
            gaps.paragraphs.append(Paragraph([meta(ui("sample_sizes", lang, human=len(human), sized=sized))]))
        if selection.limitations:
            gaps.paragraphs.append(Paragraph([meta(ui("gaps_intro", lang)),
                                              *(Sentence(field.quote, [pmid], origin="quote", supports=[Support(pmid, field.quote)])
                                                for pmid, field in selection.limitations)]))

        sections = [background]
        if theme_sections:
            sections.append(Section("findings", ui("findings", lang), heading_en=UI["findings"]["en"]))
            sections.extend(theme_sections)
        sections += [disagreements, gaps]
        return annotate(Draft(title=plan.question, lang=lang, sections=sections), level_of)

    def _subject(self, pair: Contrary, lang: str) -> str:
        """What both sides of a disagreement are about: their shared glossary terms, in the review's language."""
        shared = sorted(pair.first.terms & pair.second.terms, key=lambda t: -len(t))[:2]
        if lang == "en":
            return " and ".join(shared)
        names = [e[0].zh for e in (self.terms.lookup_en(t) for t in shared) if e]
        return "、".join(names)

    def _write_statements(self, statements: Sequence[Statement]) -> None:
        """With a model: one sentence per merged statement stating what its findings share, all generated
        together; a reply that is not one plain sentence keeps the extractive form."""
        merged = [s for s in statements if len(s.group.members) >= 2]
        if self.llm is None or not merged:
            return
        requests = [
            ChatRequest([ChatMessage("system", STATEMENT_PROMPT),
                         ChatMessage("user", "\n".join(f"[{n}] {m.quote[:300]}" for n, m in enumerate(s.group.members, 1)))],
                        max_tokens=80)
            for s in merged
        ]
        try:
            replies = self.llm.complete_many(requests, temperature=0.0, stop=["\n"])
        except LLMError:
            return
        for item, reply in zip(merged, replies):
            text = re.sub(r"\s*\[[\d,\s–-]+\]", "", reply.strip()).strip()
            if 30 <= len(text) <= 400 and text.endswith(".") and text.isascii():
                item.written = Sentence(text, item.group.pmids, source_text=text, origin="llm",
                                        supports=[Support(m.pmid, m.quote) for m in item.group.members])


def annotate(draft: Draft, levels: Mapping[int, EvidenceLevel | None]) -> Draft:
    """Each finding's note: the evidence level of the records it cites (again after Verify drops citations)."""
    for sentence in draft.sentences():
        if sentence.kind == "finding" and sentence.citations:
            sentence.note = support_note([levels.get(p) for p in sentence.citations], draft.lang)
    return draft
