"""Quality checks run on every translation and by ``medbridge qa``: each a small class with a ``name`` and
``check(sources, targets, ctx) -> list[QAProblem]``; ``run_checks`` runs them all.

They work on any list of (source, target) text pairs: a document's paragraphs, a batch of table cells or a
single abstract section. Problems carry the index of the pair (``segment``) and the spans involved.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Collection, Protocol, Sequence

from functools import lru_cache
from importlib import resources

from opencc import OpenCC
from rapidfuzz.distance import Levenshtein

from medbridge.terms import GlossaryEntry, Terminology
from medbridge.text import CJK, CJK_RUN, HAN, KANA, ZH_NUMERAL, sentence_texts, weighted_length, zh_numeral_value
from medbridge.translate import qa_lexicon as lex
from medbridge.translate.base import QAProblem
from medbridge.translate.languages import Language, get_language, is_chinese
from medbridge.translate.protect import MEASURE, defined_abbreviations, is_symbol, protect
from medbridge.translate.qa_messages import problem as _problem

_t2s = OpenCC("t2s")

# ---- shared helpers ---------------------------------------------------------------------------------

_WIDE = str.maketrans("０１２３４５６７８９．％－，：", "0123456789.%-,:")


def _sentences(text: str, lang: Language) -> list[str]:
    return sentence_texts(text, lang, clause_marks=False)


_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?|(?<![A-Za-z0-9_])\.\d+")
_EN_NUMBER_WORDS = {
    w: i for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100}


_EN_MONTHS = "January February March April May June July August September October November December".split()


def _canonical_number(raw: str) -> str:
    raw = raw.replace(",", "")
    if raw.startswith("."):
        raw = "0" + raw
    try:
        value = Decimal(raw).normalize()
    except InvalidOperation:
        return raw
    return format(value, "f")


# A locant of a chemical name, "3" and "5" of "α-amino-3-hydroxy-5-methyl…" or "5" of 5-羟色胺: part of a name, not data.
_LOCANT = re.compile(r"(?<![\d.,])\d+(?:,\d+)*(?=-[^\W\d_])|(?<=[^\W\d_]-)\d+(?=-)")


def numbers_in(text: str, lang: Language, *, locants: bool = True) -> Counter[str]:
    """Digit-written numbers, canonical (".05" → "0.05", "1,279" → "1279", full-width digits → ASCII);
    ``locants=False`` leaves out the locants of chemical names."""
    text = text.translate(_WIDE)
    if not locants:
        text = _LOCANT.sub(" ", text)
    if lang.decimal_comma:
        text = re.sub(r"(?<=\d)[.\u202f\u00a0 ](?=\d{3}(?!\d))", "", text)
        text = re.sub(r"(?<=\d),(?=\d)", ".", text)
    return Counter(_canonical_number(m.group()) for m in _NUMBER.finditer(text))


def spelled_numbers_in(text: str) -> set[str]:
    """Numbers written as words ("two", "十二"): they may stand for a digit on the other side, never required."""
    found = {str(_EN_NUMBER_WORDS[w]) for w in re.findall(r"[a-z]+", text.lower()) if w in _EN_NUMBER_WORDS}
    found |= {str(_EN_MONTHS.index(w) + 1) for w in re.findall(r"[A-Z][a-z]+", text) if w in _EN_MONTHS}  # December 2013 → 2013年12月
    for match in ZH_NUMERAL.finditer(text):
        value = zh_numeral_value(match.group())
        if value is not None:
            found.add(str(value))
    return found


def _anchors(text: str, lang: Language) -> set[str]:
    """What a sentence and its translation must share: numbers, symbols (Abeta42, CSF), URLs."""
    anchors = set(numbers_in(text, lang))
    anchors.update(tok for tok in re.findall(r"[A-Za-z][A-Za-z0-9\-/]*[A-Za-z0-9]", text) if is_symbol(tok))
    anchors.update(re.findall(r"(?:https?://|www\.)[!-~]+|[!-~]+@[!-~]+\.[A-Za-z]+", text))
    return anchors


# ---- context ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class QAContext:
    source_lang: Language
    target_lang: Language
    terminology: Terminology | None = None   # None: glossary checks are skipped
    abbreviations: set[str] = field(default_factory=set)  # defined anywhere in the document: kept as written
    _terms: dict[str, list[tuple[int, int, GlossaryEntry]]] = field(default_factory=dict)
    _pairs: dict[tuple[str, str], list[SentencePair]] = field(default_factory=dict)

    @classmethod
    def create(
        cls, source: str, target: str, terminology: Terminology, glossary: Sequence[GlossaryEntry] | None = None
    ) -> QAContext:
        terms = terminology.with_user_entries(glossary) if glossary else terminology
        return cls(get_language(source), get_language(target), terms)

    @property
    def glossary_pair(self) -> tuple[str, str] | None:
        """('en', 'zh') or ('zh', 'en') when the glossary covers this direction, else None."""
        src = "zh" if is_chinese(self.source_lang) else self.source_lang.code
        tgt = "zh" if is_chinese(self.target_lang) else self.target_lang.code
        if self.terminology is None or {src, tgt} != {"en", "zh"}:
            return None
        return src, tgt

    def terms(self, source_text: str) -> list[tuple[int, int, GlossaryEntry]]:
        """Glossary terms in a source text (memoised: several checks ask)."""
        pair = self.glossary_pair
        if pair is None or self.terminology is None:
            return []
        if source_text not in self._terms:
            self._terms[source_text] = [
                (start, end, entry)
                for start, end, entry in self.terminology.find_terms(source_text, pair[0])
                if _plausible_match(source_text[start:end], entry)
            ]
        return self._terms[source_text]


    def sentence_pairs(self, source: str, target: str) -> list[SentencePair]:
        """The aligned sentences of a pair (memoised: the meaning checks all ask)."""
        key = (source, target)
        if key not in self._pairs:
            self._pairs[key] = align(source, target, self.source_lang, self.target_lang, _glossary_anchors(source, self)).pairs
        return self._pairs[key]


def _plausible_match(surface: str, entry: GlossaryEntry) -> bool:
    """A short match must have the exact case of a listed form: "as" is not arsenic's symbol "As"."""
    return len(surface) > 3 or surface in (entry.en, *entry.en_variants, entry.zh, *entry.zh_variants)


def renderings(entry: GlossaryEntry, lang: str) -> tuple[str, ...]:
    """Approved form first, then variants. Latin variants of a Chinese term ("LTD") are abbreviations a
    Chinese text keeps by convention, not competing renderings."""
    if lang == "zh":
        return (entry.zh, *(v for v in entry.zh_variants if CJK.search(v)))
    return (entry.en, *entry.en_variants)


def sense_renderings(entry: GlossaryEntry, surface: str = "", after: str = "") -> tuple[str, ...]:
    """Chinese renderings of the entry's other senses that fit this occurrence: "general" ones always, an
    "attributive" one when the English word stands before a noun ("antidepressant effects" → 抗抑郁作用)."""
    attributive = bool(surface) and not surface.endswith("s") and bool(_ATTRIBUTIVE_NEXT.match(after))
    return tuple(zh for sense, zh in entry.senses if sense == "general" or (sense == "attributive" and attributive))


# What follows an English word used attributively: a noun, not a verb, conjunction or preposition.
_ATTRIBUTIVE_NEXT = re.compile(
    r"\s+(?!(?:and|or|but|of|in|on|at|to|for|with|by|from|as|was|were|is|are|be|been|has|have|had|that|which|may|"
    r"can|could|would|should|will|did|do|does|not)\b)[a-z][a-z\-]+",
    re.IGNORECASE,
)


def _masked(target: str, shield: Collection[str], forms: Collection[str]) -> str:
    """``target`` with the occurrences of ``shield`` strings that hold one of ``forms`` blanked out, same length: a
    form inside another term's rendering (抑郁 in 抗抑郁药) is that term, not this one."""
    holders = sorted((s for s in shield if s and any(f and f in s and f != s for f in forms)), key=len, reverse=True)
    if not holders:
        return target
    return re.sub("|".join(re.escape(h) for h in holders), lambda m: "\u3000" * len(m.group()), target)


def forms_used(entry: GlossaryEntry, target: str, lang: str, shield: Collection[str] = ()) -> list[str]:
    """Which renderings of ``entry`` occur in ``target``; a variant inside the approved form does not count
    ("阿尔茨海默" inside "阿尔茨海默病"), nor one inside a ``shield`` string (another term's rendering)."""
    forms = sorted(renderings(entry, lang), key=len, reverse=True)
    flags = re.IGNORECASE if lang == "en" else 0
    boundary = (r"(?<![A-Za-z])", r"(?![A-Za-z])") if lang == "en" else ("", "")
    pattern = re.compile(boundary[0] + "(" + "|".join(re.escape(f) for f in forms if f) + ")" + boundary[1], flags)
    used: list[str] = []
    for match in pattern.finditer(_masked(target, shield, forms)):
        form = next(f for f in forms if f.lower() == match.group().lower())
        if form not in used:
            used.append(form)
    return used


class QACheck(Protocol):
    name: str

    def check(self, sources: Sequence[str], targets: Sequence[str], ctx: QAContext) -> list[QAProblem]: ...


class _PairCheck:
    """A check that looks at one pair at a time."""

    name = ""

    def check(self, sources: Sequence[str], targets: Sequence[str], ctx: QAContext) -> list[QAProblem]:
        problems: list[QAProblem] = []
        for index, (source, target) in enumerate(zip(sources, targets)):
            if not source.strip():
                continue
            for problem in self.check_pair(source, target, ctx):
                problem.segment = index
                problems.append(problem)
        return problems

    def check_pair(self, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        raise NotImplementedError


# ---- checks ----------------------------------------------------------------------------------------

# Latin words a Chinese/Japanese/… text keeps by convention.
_KEPT_LATIN = {"et", "al", "vs", "in", "vivo", "vitro", "situ", "via", "p", "n", "ml", "mg", "kg", "ng", "pg", "mmol", "per"}
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*")


class UntranslatedCheck(_PairCheck):
    """Source-language words left in the target beyond what is kept by convention (glossary forms that are
    Latin, abbreviations, gene symbols, units, protected spans)."""

    name = "untranslated"

    def check_pair(self, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        if not ctx.source_lang.latin and ctx.target_lang.latin:
            return [
                _problem(self.name, "source_script_left", target_span=m.group(), start=m.start(), end=m.end(), text=m.group())
                for m in CJK_RUN.finditer(target)
            ]
        allowed = self._allowed_words(source, ctx)
        if ctx.source_lang.latin and not ctx.target_lang.latin:
            return self._latin_runs(source, target, allowed)
        if ctx.source_lang.latin and ctx.target_lang.latin and ctx.source_lang.code != ctx.target_lang.code:
            return self._copied_runs(source, target, allowed)
        return []

    def _allowed_words(self, source: str, ctx: QAContext) -> set[str]:
        allowed = set(_KEPT_LATIN)
        for span in protect(source).spans:
            allowed.update(w.lower() for w in _LATIN_WORD.findall(span.text))
        # An abbreviation the source (or its document) defines in parentheses, "amyloid-beta peptide (Abeta)",
        # stays as written, and so do its parts ("CSF/phospho-tau199": "phospho-tau", "tau").
        for abbreviation in defined_abbreviations(source) | ctx.abbreviations:
            words = [w.lower() for w in _LATIN_WORD.findall(abbreviation)]
            allowed.update(words)
            allowed.update(part for w in words for part in re.split(r"[-'’]", w))
        for _, _, entry in ctx.terms(source):
            allowed.update(w.lower() for w in _LATIN_WORD.findall(entry.zh))  # "tau蛋白" keeps "tau"
        for name in kept_names(source):  # people and journals stay as written
            allowed.update(w.lower() for w in _LATIN_WORD.findall(name))
        return allowed

    def _latin_runs(self, source: str, target: str, allowed: set[str]) -> list[QAProblem]:
        source_words = {w.lower() for w in _LATIN_WORD.findall(source)}
        components = {part for w in source_words for part in re.split(r"[-'’]", w)}
        problems: list[QAProblem] = []
        run: list[re.Match[str]] = []

        def close_run() -> None:
            if not run:
                return
            words = [m.group() for m in run]
            start, end = run[0].start(), run[-1].end()
            fragment = target[start:end]
            if any(p.target_span == fragment for p in problems):
                pass
            elif len(words) >= 2:
                problems.append(_problem(self.name, "english_left", target_span=fragment, start=start, end=end, text=fragment))
            elif len(words[0]) >= 4 and (words[0].lower() in source_words or re.search(f"[{HAN}]-$", target[:start])):
                # A word of the source, or a part of a source compound glued to a translated part ("双-blind").
                severity = "warning" if words[0][0].isupper() else "error"  # a capitalised word may be a name
                problems.append(_problem(self.name, "english_word_left", target_span=fragment, start=start, end=end, severity=severity, text=fragment))
            elif len(words[0]) >= 3 and words[0].lower() not in components and any(
                w != words[0].lower() and words[0].lower() in w for w in source_words if len(w) > 4
            ):
                # Half a source word glued to a translation ("溶uble" for "soluble"): a broken rendering. A whole
                # part of a compound ("tau" of "phospho-tau") is no half-word.
                problems.append(_problem(self.name, "half_word_left", target_span=fragment, start=start, end=end, text=fragment))
            run.clear()

        for match in _LATIN_WORD.finditer(target):
            word = match.group()
            if word.lower().strip("-'’") in allowed or is_symbol(word):
                close_run()
                continue
            if run and not re.fullmatch(r"[\s,\-'’]*", target[run[-1].end():match.start()]):
                close_run()
            run.append(match)
        close_run()
        return problems

    def _copied_runs(self, source: str, target: str, allowed: set[str], n: int = 5) -> list[QAProblem]:
        def words(text: str) -> list[str]:
            return [w.lower() for w in _LATIN_WORD.findall(text) if w.lower() not in allowed and not is_symbol(w)]

        source_grams = {tuple(g) for g in _ngrams(words(source), n)}
        copied = [" ".join(g) for g in _ngrams(words(target), n) if tuple(g) in source_grams]
        return [_problem(self.name, "source_copied", target_span=copied[0], text=copied[0])] if copied else []


def source_language_share(sources: Sequence[str], targets: Sequence[str], ctx: QAContext) -> float:
    """Share of the targets' letters that are source-language text left untranslated — what
    ``UntranslatedCheck`` reports, warnings included. Abbreviations, symbols, units and the Latin forms a Chinese
    text keeps by convention are target-language text here: careful human Chinese translations of abstracts keep
    15–30 % of their letters in Latin script that way."""
    letters = left = 0
    check = UntranslatedCheck()
    for source, target in zip(sources, targets):
        letters += sum(1 for c in target if c.isalpha())
        left += sum(sum(1 for c in p.target_span or "" if c.isalpha()) for p in check.check_pair(source, target, ctx))
    return left / letters if letters else 0.0


def _ngrams(items: list[str], n: int) -> list[list[str]]:
    return [items[i:i + n] for i in range(len(items) - n + 1)]


class GlossaryCheck(_PairCheck):
    """The source has a glossary term and the target renders it otherwise: an error when no listed rendering is
    there (approved form, reviewed variant, a sense that fits, the source's own abbreviation kept — Chinese papers
    write "AD患者"), a warning when only a variant is ("the glossary prefers …")."""

    name = "glossary"

    def check_pair(self, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        if ctx.glossary_pair is None:
            return []
        # Sentence by sentence: a term rendered in one sentence and renamed in the next is still caught.
        pairs = ctx.sentence_pairs(source, target) or [SentencePair(source, target, 0, len(target), 1.0, True)]
        abbreviations = ctx.abbreviations | defined_abbreviations(source)
        problems: list[QAProblem] = []
        for sentence in pairs:
            for problem in self._check_sentence(sentence.source, sentence.target, ctx, abbreviations):
                if problem.target_start is not None:
                    problem.target_start += sentence.target_start
                    problem.target_end = (problem.target_end or 0) + sentence.target_start
                else:
                    problem.target_start, problem.target_end = sentence.target_start, sentence.target_end
                problems.append(problem)
        return problems

    def _check_sentence(self, source: str, target: str, ctx: QAContext, abbreviations: set[str]) -> list[QAProblem]:
        pair = ctx.glossary_pair
        assert pair is not None
        problems: list[QAProblem] = []
        seen: set[GlossaryEntry] = set()
        found = ctx.terms(source)
        plain = without_parenthesised_abbreviations(target) if pair[1] == "zh" else target
        shield = [f for _, _, e in found for f in (*renderings(e, pair[1]), *(z for _, z in e.senses))]
        for start, end, entry in found:
            surface = source[start:end]
            if entry in seen or term_rendered(entry, surface, plain, pair[1], abbreviations) or term_rendered(entry, surface, target, pair[1], abbreviations):
                continue
            if pair[1] == "zh" and any(z in target for z in sense_renderings(entry, surface, source[end:])):
                continue
            seen.add(entry)
            approved = entry.zh if pair[1] == "zh" else entry.en
            others = [f for f in shield if f not in renderings(entry, pair[1])]
            used = [f for f in forms_used(entry, plain, pair[1], others) if f != approved]
            if used:
                at = target.find(used[0])
                problems.append(_problem(self.name, "glossary_variant", severity="warning", source_span=surface, target_span=used[0],
                                         start=at, end=at + len(used[0]), term=surface, approved=approved, variant=used[0]))
            else:
                problems.append(_problem(self.name, "glossary_missing", source_span=surface, term=surface, approved=approved))
        return problems


def term_rendered(entry: GlossaryEntry, surface: str, target: str, target_lang: str, abbreviations: Collection[str] = ()) -> bool:
    """Whether ``target`` renders the source occurrence ``surface`` of ``entry`` as approved: the approved form,
    a Latin form the glossary lists for Chinese ("Aβ", "tau"), or the source's own abbreviation kept verbatim
    (a symbol, or one the document defines: "Abeta")."""
    approved = entry.zh if target_lang == "zh" else entry.en
    if approved in forms_used(entry, target, target_lang):
        return True
    if target_lang == "zh":
        if any(v in target for v in entry.zh_variants if not CJK.search(v)):
            return True
        # "Abeta oligomers" → "Abeta寡聚体" for 'Aβ寡聚体': the Latin part written as the source writes it.
        latin = re.match(r"[A-Za-zα-ωΑ-Ω0-9\-]+", approved)
        if latin and CJK.search(approved):
            for word in surface.split():
                if word != latin.group() and (is_symbol(word) or word in abbreviations) and approved.replace(latin.group(), word, 1) in target:
                    return True
    return (is_symbol(surface) or surface in abbreviations) and surface in target


# "N-甲基-D-天冬氨酸(NMDA)受体": the abbreviation in parentheses inside a rendering leaves it one rendering.
_PARENTHESISED_ABBREVIATION = re.compile(r"\s?[(（\[【]\s?[A-Za-z][A-Za-z0-9α-ωΑ-Ω\-/ ]{0,24}\s?[)）\]】]")


def without_parenthesised_abbreviations(target: str) -> str:
    return _PARENTHESISED_ABBREVIATION.sub("", target)


class InconsistentTermCheck:
    """One source term rendered in more than one listed way across the batch/document (a drug spelled two ways):
    a warning, since every form is a reviewed one. A form inside another term's rendering (抑郁 in 抗抑郁药) is that
    term's."""

    name = "inconsistent_term"

    def check(self, sources: Sequence[str], targets: Sequence[str], ctx: QAContext) -> list[QAProblem]:
        pair = ctx.glossary_pair
        if pair is None:
            return []
        uses: dict[GlossaryEntry, dict[str, list[int]]] = {}
        for index, (source, target) in enumerate(zip(sources, targets)):
            entries = {e for _, _, e in ctx.terms(source)}
            for entry in entries:
                shield = [f for other in entries if other != entry for f in (*renderings(other, pair[1]), *(z for _, z in other.senses))]
                for form in forms_used(entry, target, pair[1], shield):
                    uses.setdefault(entry, {}).setdefault(form, []).append(index)
        problems: list[QAProblem] = []
        for entry, forms in uses.items():
            if len(forms) < 2:
                continue
            approved = entry.zh if pair[1] == "zh" else entry.en
            listing = ", ".join(f"{form!r} ({'segment' if len(ix) == 1 else 'segments'} {', '.join(str(i) for i in ix)})" for form, ix in forms.items())
            for form, indexes in forms.items():
                if form == approved:
                    continue
                for index in indexes:
                    problem = _problem(self.name, "inconsistent_term", severity="warning", source_span=entry.en, target_span=form,
                                       term=entry.en, forms=listing, approved=approved)
                    problem.segment = index
                    problems.append(problem)
        return problems


class NumbersCheck(_PairCheck):
    """Numbers (with units, p-values, CIs) differ between source and target."""

    name = "numbers"

    def check_pair(self, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        # Digits inside a glossary term belong to the term, not to the data: "Abeta42" rendered "β淀粉样蛋白42".
        pair = ctx.glossary_pair
        for start, end, entry in reversed(ctx.terms(source)) if pair else ():
            forms = [f for f in sorted(renderings(entry, pair[1]), key=len, reverse=True) if any(c.isdigit() for c in f)]
            if forms and any(c.isdigit() for c in source[start:end]):
                target = target.replace(source[start:end], " ")  # kept as written ("SF-36")
                source = source[:start] + " " + source[end:]
            for form in forms:
                target = target.replace(form, " ")
        # A locant of a chemical name need not be matched, but it may match a number of the other side.
        src, src_all = numbers_in(source, ctx.source_lang, locants=False), numbers_in(source, ctx.source_lang)
        tgt, tgt_all = numbers_in(target, ctx.target_lang, locants=False), numbers_in(target, ctx.target_lang)
        problems = []
        spelled_in_target = spelled_numbers_in(target)
        spelled_in_source = spelled_numbers_in(source)
        for number in sorted(src.keys() - tgt_all.keys()):
            if number not in spelled_in_target:
                problems.append(_problem(self.name, "number_missing", source_span=number, number=number))
        for number in sorted(tgt.keys() - src_all.keys()):
            if number not in spelled_in_source:
                problems.append(_problem(self.name, "number_added", target_span=number, number=number))
        return problems


@dataclass(slots=True)
class SentencePair:
    """Source sentence(s) aligned with target sentence(s); where the target ones start and end in the target."""

    source: str
    target: str
    target_start: int
    target_end: int
    ratio: float         # weighted length ratio target/source, relative to the language pair's expectation
    merged: bool         # more than one sentence on a side


@dataclass(slots=True)
class Alignment:
    omitted: list[str]   # source sentences with no counterpart
    added: list[str]     # target sentences with no counterpart
    ratio: float         # weighted length ratio target/source, relative to the language pair's expectation
    pairs: list[SentencePair] = field(default_factory=list)


_SKIP_COST = 6.5          # aligning a sentence to nothing
_MERGE_PRIOR = -math.log(0.089 / 2)
_VARIANCE = 4.0           # per weighted character, fitted loosely on the reference translations


def align(source: str, target: str, source_lang: Language, target_lang: Language, ignore: Collection[str] = ()) -> Alignment:
    """Gale–Church style sentence alignment on script-weighted lengths, with shared numbers/symbols as anchors
    (less those in ``ignore``).

    A skipped sentence costs a constant, so a long sentence missing from the target (or an injected one) is
    cheaper to explain as a skip than as a lopsided merge."""
    src = _sentences(source, source_lang)
    tgt = _sentences(target, target_lang)
    expected = target_lang.length_factor / source_lang.length_factor
    total_src = sum(weighted_length(s) for s in src) or 1.0
    ratio = sum(weighted_length(t) for t in tgt) / total_src / expected
    src_len = [weighted_length(s) * expected for s in src]
    tgt_len = [weighted_length(t) for t in tgt]
    ignored = set(ignore)
    src_anchor = [_anchors(s, source_lang) - ignored for s in src]
    tgt_anchor = [_anchors(t, target_lang) - ignored for t in tgt]

    def bead_cost(i0: int, i1: int, j0: int, j1: int) -> float:
        ls, lt = sum(src_len[i0:i1]), sum(tgt_len[j0:j1])
        mean = max((ls + lt) / 2, 1.0)
        delta = abs(lt - ls) / math.sqrt(_VARIANCE * mean)
        cost = -math.log(max(math.erfc(delta / math.sqrt(2)), 1e-12))
        a = set().union(*src_anchor[i0:i1])
        b = set().union(*tgt_anchor[j0:j1])
        cost += 1.5 * len(a ^ b)
        if (i1 - i0) + (j1 - j0) > 2:
            cost += _MERGE_PRIOR
        return cost

    n, m = len(src), len(tgt)
    inf = float("inf")
    best = [[inf] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int]]] = [[(0, 0)] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    moves = ((1, 1), (1, 0), (0, 1), (2, 1), (1, 2), (2, 2), (3, 1), (1, 3))
    for i in range(n + 1):
        for j in range(m + 1):
            if best[i][j] == inf:
                continue
            for di, dj in moves:
                ni, nj = i + di, j + dj
                if ni > n or nj > m:
                    continue
                cost = _SKIP_COST if di == 0 or dj == 0 else bead_cost(i, ni, j, nj)
                if best[i][j] + cost < best[ni][nj]:
                    best[ni][nj] = best[i][j] + cost
                    back[ni][nj] = (di, dj)
    omitted, added, pairs = [], [], []
    starts = _offsets(target, tgt)
    i, j = n, m
    while i or j:
        di, dj = back[i][j]
        if dj == 0:
            omitted.append(src[i - 1])
        if di == 0:
            added.append(tgt[j - 1])
        if di and dj:
            s_len, t_len = sum(src_len[i - di:i]), sum(tgt_len[j - dj:j])
            pairs.append(SentencePair(
                " ".join(src[i - di:i]), target[starts[j - dj]:starts[j - 1] + len(tgt[j - 1])], starts[j - dj],
                starts[j - 1] + len(tgt[j - 1]), t_len / s_len if s_len else 1.0, di + dj > 2,
            ))
        i, j = i - di, j - dj
    return Alignment(omitted[::-1], added[::-1], ratio, pairs[::-1])


def _offsets(text: str, pieces: list[str]) -> list[int]:
    """Where each (stripped) piece starts in ``text``, searching in order."""
    starts, position = [], 0
    for piece in pieces:
        at = text.find(piece, position)
        starts.append(at if at >= 0 else position)
        position = (at if at >= 0 else position) + len(piece)
    return starts


def _glossary_anchors(source: str, ctx: QAContext) -> set[str]:
    """Anchors a glossary term accounts for: its symbol in the source, which the target renders in words
    ("CSF" → 脑脊液) or keeps, and the digits of a rendering ("42" of β淀粉样蛋白42)."""
    pair = ctx.glossary_pair
    anchors: set[str] = set()
    for start, end, entry in ctx.terms(source) if pair else ():
        anchors.add(source[start:end])
        anchors.update(number for form in renderings(entry, pair[1]) for number in re.findall(r"\d+", form))
    return anchors


_MIN_CHECKED_LENGTH = 40  # weighted characters; shorter texts (titles, cells) vary too much in length
_MIN_SENTENCE_LENGTH = 40  # a sentence checked alone for a dropped clause
_SHORT_SENTENCE = 0.7      # of the expected length: careful human translations stay above it (lowest seen 0.73)
_SHORTER_SENTENCE = 0.9    # below it, a sentence that also lost a glossary term lost a clause


class OmissionCheck(_PairCheck):
    """Source sentences with no counterpart in the target, or a target far shorter than expected."""

    name = "omission"

    def check_pair(self, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        if not target.strip():
            return [_problem(self.name, "empty")]
        alignment = align(source, target, ctx.source_lang, ctx.target_lang, _glossary_anchors(source, ctx))
        problems = [_problem(self.name, "sentence_omitted", source_span=s, sentence=s[:80]) for s in alignment.omitted]
        if not problems and weighted_length(source) >= _MIN_CHECKED_LENGTH and alignment.ratio < 0.55:
            problems.append(_problem(self.name, "too_short", ratio=f"{alignment.ratio:.0%}"))
        if not problems:
            # A clause dropped inside a sentence: the sentence's translation far shorter than its source.
            abbreviations = ctx.abbreviations | defined_abbreviations(source)
            for pair in alignment.pairs:
                if weighted_length(pair.source) < _MIN_SENTENCE_LENGTH or pair.ratio >= _SHORTER_SENTENCE or (pair.merged and pair.ratio >= _SHORT_SENTENCE):
                    continue
                # Shorter than usual and a term of the source gone from it: a clause went missing with the term.
                lost_term = pair.ratio < _SHORT_SENTENCE or any(
                    p.severity == "error" for p in GlossaryCheck()._check_sentence(pair.source, pair.target, ctx, abbreviations)
                )
                if lost_term:
                    problems.append(_problem(self.name, "sentence_short", source_span=pair.source, start=pair.target_start,
                                             end=pair.target_end, ratio=f"{pair.ratio:.0%}", sentence=pair.source[:80]))
        return problems


class AdditionCheck(_PairCheck):
    """Target sentences with no counterpart in the source, or a target far longer than expected."""

    name = "addition"

    def check_pair(self, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        if not target.strip():
            return []
        alignment = align(source, target, ctx.source_lang, ctx.target_lang, _glossary_anchors(source, ctx))
        unrelated = _unrelated_sentences(source, target, ctx)
        problems = [_problem(self.name, "sentence_unrelated", target_span=t, sentence=t[:80]) for t in unrelated]
        problems += [_problem(self.name, "sentence_added", target_span=t, sentence=t[:80]) for t in alignment.added if t not in unrelated]
        if not problems and weighted_length(source) >= _MIN_CHECKED_LENGTH and alignment.ratio > 2.0:
            problems.append(_problem(self.name, "too_long", ratio=f"{alignment.ratio:.0%}"))
        return problems


_MIN_GLOSSED = 4         # Chinese words with a dictionary gloss a sentence needs before it is judged
_MIN_RELATED = 0.34      # share of them whose gloss meets the source: careful translations ≥ 0.4, unrelated ≤ 0.33


def _unrelated_sentences(source: str, target: str, ctx: QAContext) -> list[str]:
    """Chinese sentences of an English source's translation whose words, looked up in the glossary and CC-CEDICT,
    hardly meet the source's words: a sentence slipped in from elsewhere ("今天天气很好…")."""
    if ctx.terminology is None or ctx.source_lang.code != "en" or not is_chinese(ctx.target_lang):
        return []
    source_stems = _stems(source)
    source_anchors = _anchors(source, ctx.source_lang)
    found = []
    for sentence in _sentences(target, ctx.target_lang):
        if _anchors(sentence, ctx.target_lang) & source_anchors:
            continue  # it shares a number or symbol with the source ("Abeta42检测…"): a translation of it
        glossed = related = 0
        for word in ctx.terminology.segment(sentence):
            if not re.fullmatch(f"[{HAN}]{{2,}}", word):
                continue
            glosses = _word_glosses(ctx.terminology, word)
            if glosses:
                glossed += 1
                related += bool(glosses & source_stems)
        if glossed >= _MIN_GLOSSED and related / glossed < _MIN_RELATED:
            found.append(sentence)
    return found


def _stems(text: str) -> set[str]:
    return {_stem(w.lower()) for w in re.findall(r"[A-Za-z]{3,}", text) if w.lower() not in lex.GLOSS_STOPWORDS}


_SUFFIX = re.compile(r"(?:ing|ed|es|s|ly)$")


def _stem(word: str) -> str:
    """A crude stem, enough to meet a dictionary gloss: "taking"/"take", "recruited"/"recruit", "dementias"/"dementia"."""
    bare = _SUFFIX.sub("", word)
    return (bare if len(bare) >= 3 else word).rstrip("e")[:5]


def _word_glosses(terminology: Terminology, word: str) -> set[str]:
    glosses: set[str] = set()
    for entry in terminology.lookup_zh(word):
        glosses |= _stems(" ".join((entry.en, *entry.en_variants)))
    for definition in terminology.cedict(word):
        glosses |= _stems(re.sub(r"\(.*?\)|CL:.*", "", definition))
    return glosses


_DOUBLED = re.compile(r"(\S.{9,}?)[\s.。，,;；]*\1", re.DOTALL)  # a stretch written twice back to back
_LOOP = re.compile(r"(\D.{0,39}?|.{1,39}?\D)(?:[\s,，、;；]*\1){3,}", re.DOTALL)
_SINGLE_CHAR_LOOP = re.compile(r"([^\d\s.\-=_*])\1{5,}")


class RepetitionCheck(_PairCheck):
    """Generation loops: a phrase repeated back to back, or a sentence repeated, more than the source does."""

    name = "repetition"

    def check_pair(self, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        problems = []
        for pattern in (_LOOP, _SINGLE_CHAR_LOOP):
            for match in pattern.finditer(target):
                unit = match.group(1)
                if unit not in source or not pattern.search(source):
                    problems.append(_problem(self.name, "phrase_repeated", target_span=match.group(), start=match.start(), end=match.end(),
                                             unit=unit.strip(), text=match.group()[:60]))
                    break
        if not problems:
            for match in _DOUBLED.finditer(target):
                if weighted_length(match.group(1)) >= 30 and source.count(match.group(1)) < 2 and _DOUBLED.search(source) is None:
                    problems.append(_problem(self.name, "phrase_repeated", target_span=match.group(), start=match.start(), end=match.end(),
                                             unit=match.group(1)[:40], text=match.group()[:60]))
                    break
        sentences = Counter(s for s in _sentences(target, ctx.target_lang) if weighted_length(s) >= 10)
        source_sentences = Counter(_sentences(source, ctx.source_lang))
        source_repeats = max(source_sentences.values(), default=1)
        for sentence, count in sentences.items():
            if count > max(1, source_repeats):
                problems.append(_problem(self.name, "sentence_repeated", target_span=sentence, count=count, sentence=sentence[:60]))
        return problems


class ForeignContentCheck(_PairCheck):
    """Injected content, with its exact span: gambling/brand/ads vocabulary, URLs, e-mails or phone numbers that the
    source does not have, and a run of Chinese spliced inside a Latin word of the source ("Samhs万博手机客户端a")."""

    name = "foreign_content"

    def check_pair(self, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        problems = []
        for match in lex.INJECTED_VOCABULARY.finditer(target):
            if not re.search(re.escape(match.group()), source, re.IGNORECASE):
                problems.append(_problem(self.name, "injected_text", target_span=match.group(), start=match.start(), end=match.end(), text=match.group()))
        for match in lex.CONTACT.finditer(target):
            if match.group().rstrip(".,;)") not in source:
                problems.append(_problem(self.name, "injected_contact", target_span=match.group(), start=match.start(), end=match.end(), text=match.group()))
        words = {w.casefold() for w in re.findall(r"[A-Za-z][A-Za-z0-9\-]*", source) if len(w) >= 3}
        for match in _SPLICED.finditer(target):
            joined = (match.group(1) + match.group(3)).casefold()
            if joined in words or any(Levenshtein.normalized_similarity(joined, w) >= 0.8 for w in words):
                problems.append(_problem(self.name, "injected_in_word", target_span=match.group(2), start=match.start(2), end=match.end(2),
                                         text=match.group(2), word=match.group()))
        return _without_overlaps(problems)


# Letters, a run of CJK, letters: a word of the source cut in two by something inserted.
_SPLICED = re.compile(f"(?<![A-Za-z])([A-Za-z]+)([{HAN}]+)([A-Za-z]+)(?![A-Za-z])")


def _without_overlaps(problems: list[QAProblem]) -> list[QAProblem]:
    """One finding per stretch of target text (the longest first)."""
    kept: list[QAProblem] = []
    for problem in sorted(problems, key=lambda p: -((p.target_end or 0) - (p.target_start or 0))):
        if problem.target_start is None or not any(
            k.target_start is not None and k.target_start < (problem.target_end or 0) and problem.target_start < (k.target_end or 0) for k in kept
        ):
            kept.append(problem)
    return sorted(kept, key=lambda p: p.target_start or 0)


# ---- names, variants, kept spans, language -------------------------------------------------------------------

_NAME_WORD = r"[A-Z][^\W\d_]*(?:['’][^\W\d_]+)*"  # Zetterberg, D'Antonio, Jesús
_AUTHOR = re.compile(rf"(?<![^\W\d_])({_NAME_WORD}(?:[ -](?:{_NAME_WORD}|de|van|von|der|da))*) (?:[A-Z]{{1,3}})(?=[,.;]|\s+et al)")
_ET_AL = re.compile(rf"(?<![^\W\d_])({_NAME_WORD}(?:[ -]{_NAME_WORD})*) et al\b")


@lru_cache(maxsize=1)
def _journals() -> re.Pattern[str]:
    names = [line.strip() for line in resources.files("medbridge.translate").joinpath("data/journals.txt").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    # A one-word title ("Science", "Neuron") is a journal only where a citation has it: before its period, year
    # or volume, at the end of the text.
    many = sorted((re.escape(n) for n in names if " " in n), key=len, reverse=True)
    one = sorted((re.escape(n) for n in names if " " not in n), key=len, reverse=True)
    return re.compile(rf"(?<![A-Za-z])(?:{'|'.join(many)})(?![A-Za-z])|(?<![A-Za-z])(?:{'|'.join(one)})(?=\.?\s*(?:$|\d|;))")


def kept_names(source: str) -> list[str]:
    """People's names (author lists, "Mattsson et al") and journal titles of the source: a translation keeps them
    as written."""
    names = [m.group(1) for m in _AUTHOR.finditer(source)] + [m.group(1) for m in _ET_AL.finditer(source)]
    names += [m.group() for m in _journals().finditer(source)]
    return list(dict.fromkeys(names))


class NamesCheck(_PairCheck):
    """A person's name or a journal of the source not kept as written: transliterated ("马斯森" for Mattsson) or
    renamed ("美国医学杂志" for N Engl J Med)."""

    name = "names"

    def check_pair(self, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        if ctx.target_lang.latin:
            return []
        problems = []
        for name in kept_names(source):
            if name not in target:
                key = "journal_renamed" if _journals().fullmatch(name) else "name_changed"
                problems.append(_problem(self.name, key, source_span=name, name=name))
        return problems


_LATIN_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9'’\-]*[A-Za-z0-9]")


class VariantTermCheck(_PairCheck):
    """A Latin word of the target that is not in the source but nearly spells one of its words (edit distance,
    case-folded): "ESKALAMINE looks like a misspelling of Esketamine"."""

    name = "variant_term"

    def check_pair(self, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        source_words = set(_LATIN_TOKEN.findall(source))
        for _, _, entry in ctx.terms(source):
            source_words.update(w for w in (*entry.zh_variants, entry.zh) if not CJK.search(w))
        folded = {w.casefold(): w for w in source_words if sum(c.isalpha() for c in w) >= 4}
        problems = []
        for match in _LATIN_TOKEN.finditer(target):
            word = match.group()
            key = word.casefold()
            if word in source_words or sum(c.isalpha() for c in word) < 4 or word.lower() in _KEPT_LATIN:
                continue
            if key in folded:
                near = folded[key] if folded[key] != word and word.isupper() and not folded[key].isupper() else None
            else:
                near = next((w for k, w in folded.items() if not (k.startswith(key) or key.startswith(k))
                             and Levenshtein.normalized_similarity(key, k) >= _NEAR_SPELLING), None)
            if near:
                problems.append(_problem(self.name, "variant_term", target_span=word, source_span=near, start=match.start(), end=match.end(),
                                         word=word, term=near))
        return problems


_NEAR_SPELLING = 0.75  # normalised Levenshtein similarity: one letter in four may differ


def _normalised_span(text: str) -> str:
    """Spans compared as written, less spacing, hyphens and number spelling ("P = .001" ≡ "P=0.001", "60-Hz" ≡ "60 Hz")."""
    text = unicodedata.normalize("NFKC", text).replace("µ", "μ")
    text = re.sub(r"[\s\-‐‑–—−]", "", text)
    return _NUMBER.sub(lambda m: _canonical_number(m.group()), text)


class DroppedSpanCheck(_PairCheck):
    """A span the translation must keep as written — a symbol or abbreviation (APOE, ε4, GABAergic, BDNF-TrkB), a
    URL, DOI, e-mail or registry number — missing from the translation of its sentence. A symbol that is a glossary
    term may be rendered instead (AD → 阿尔茨海默病)."""

    name = "dropped_span"

    def check_pair(self, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        problems, reported = [], set()
        for pair in ctx.sentence_pairs(source, target) or [SentencePair(source, target, 0, len(target), 1.0, True)]:
            plain = _normalised_span(pair.target)
            defined = defined_abbreviations(pair.source)
            spans = _kept_spans(pair.source, ctx, defined_abbreviations(source))
            for (token, entry), wanted in Counter(spans).items():
                forms = {_normalised_span(f) for f in (token, *_symbol_alternatives(token))}
                kept = max(plain.count(f) for f in forms)
                # A defined abbreviation stays as written; otherwise a glossary rendering may stand for the symbol.
                if entry is not None and ctx.glossary_pair and token not in defined:
                    kept += sum(pair.target.count(f) for f in (*renderings(entry, ctx.glossary_pair[1]), *(z for _, z in entry.senses)) if CJK.search(f))
                if token in reported or kept >= wanted:
                    continue
                reported.add(token)
                problems.append(_problem(self.name, "span_dropped", source_span=token, start=pair.target_start, end=pair.target_end, span=token))
        return problems


_SPAN_CANDIDATE = re.compile(
    r"(?:https?://|www\.)[!-~]*[A-Za-z0-9/#=_~-]|10\.\d{4,9}/[!-~]*[A-Za-z0-9/#=_~-]|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
    r"|(?<![A-Za-z0-9_\-])[A-Za-z0-9α-ωΑ-Ω](?:[A-Za-z0-9α-ωΑ-Ω+]|[-/](?=[A-Za-z0-9α-ωΑ-Ω]))*"
)


_NAME_WITH_PREFIX = re.compile(r"(?:Mc|Mac|De|La|Le|Di|Van|Von)[A-Z][a-z]{2,}")
_WORD_PREFIX = re.compile(r"^(?:no|non|anti|pre|post|pro)-(?=[A-Z])")


def _kept_spans(source: str, ctx: QAContext, defined: Collection[str] = ()) -> list[tuple[str, GlossaryEntry | None]]:
    """Spans of a source sentence its translation keeps, once per occurrence: links and identifiers, symbols and
    defined abbreviations;
    with the glossary term a symbol is part of (whose renderings stand for it: "CSF biomarkers" → 脑脊液生物标志物), else
    None."""
    terms = ctx.terms(source)
    defined = ctx.abbreviations | defined_abbreviations(source) | set(defined)
    spans: list[tuple[str, GlossaryEntry | None]] = []
    for match in _SPAN_CANDIDATE.finditer(source):
        token = _WORD_PREFIX.sub("", match.group())  # "no-PPM" → 无PPM: the prefix is a word, translated
        if not any(c.isalpha() for c in token) or re.search(r"-[A-Z][a-z]{3,}(?![A-Za-z0-9])", token) or _NAME_WITH_PREFIX.fullmatch(token):
            # "β-Amyloid" is a word; "McGill", "MacArthur" are names, which a translation may transliterate
            continue
        term = next(((s, e, entry) for s, e, entry in terms if s < match.end() and match.start() < e), None)
        greek_symbol = bool(re.search("[α-ωΑ-Ω]", token) and re.search("[A-Za-z0-9]", token)) and not re.search("[a-z]{4,}", token)  # Aβ, TNF-α
        if "/" in token[:8] or "@" in token or token[:4] in ("www.", "10.") or is_symbol(token) or greek_symbol or token in defined:
            spans.append((token, term[2] if term else None))
    return spans


def _symbol_alternatives(token: str) -> list[str]:
    """Forms a Chinese text may write a symbol in: "Aβ" for "Abeta", "ε4" for "e4"."""
    forms = [token.replace("beta", "β").replace("Beta", "β"), re.sub(r"(?<![A-Za-z])e(?=\d)", "ε", token)]
    return forms + [token[:-1]] if token.endswith("s") and token[:-1].isupper() else forms  # "LRs" → "LR"


# Units a Chinese translation may write in words.
_ZH_UNITS = {"mg": "毫克", "g": "克", "kg": "千克|公斤", "ng": "纳克", "μg": "微克", "ml": "毫升", "mL": "毫升", "L": "升", "Hz": "赫兹", "%": "％",
             "min": "分钟", "h": "小时", "d": "天|日", "mm": "毫米", "cm": "厘米", "kDa": "千道尔顿"}
_EN_TIME = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)[ -](weeks?|months?|days?|hours?|years?)\b")
_EN_TIME_BEFORE = re.compile(r"\b(week|month|day|year) (\d+)\b", re.IGNORECASE)  # "by week 16" → 第16周
_ZH_TIME = {"week": "周|星期", "month": "个月|月", "day": "天|日", "hour": "小时", "year": "年|岁"}
_EN_DATE = re.compile(rf"\b({'|'.join(_EN_MONTHS)}),? (\d{{4}})\b")  # "December 2013" → 2013年12月
_COMPARISON = re.compile(r"([<>≤≥=])\s?((?:\d+(?:\.\d+)?|\.\d+)|NS\b)")  # "P = NS": not significant


class UnitsCheck(_PairCheck):
    """A number of the source with another unit or comparison sign in the target ("5-10 mg" → "5-10 g",
    "P < .001" → "P > .001", "16 weeks" → "16个月"), or a date with another month ("December 2013" → 2013年11月)."""

    name = "units"

    def check_pair(self, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        plain = unicodedata.normalize("NFKC", target).replace("µ", "μ")
        numbers = numbers_in(target, ctx.target_lang)
        problems = []
        measures = [(m.group(1), m.group(2).replace("µ", "μ")) for m in MEASURE.finditer(unicodedata.normalize("NFKC", source))]
        measures += [(m.group(1), m.group(2).rstrip("s").lower()) for m in _EN_TIME.finditer(source)]
        measures += [(m.group(2), m.group(1).rstrip("s").lower()) for m in _EN_TIME_BEFORE.finditer(source)]
        for (number, unit), count in Counter(measures).items():
            value = _canonical_number(number.lstrip("-−"))
            if value not in numbers:
                continue  # a missing number is the numbers check's
            words = _ZH_TIME.get(unit) or _ZH_UNITS.get(unit, "")
            forms = "|".join(filter(None, [re.escape(unit), words]))
            pattern = rf"(?<![\d.]){re.escape(value)}\s?-?(?:{forms})" if forms else None
            if pattern and len(re.findall(pattern, _numbers_canonical(plain))) < count:
                problems.append(_problem(self.name, "unit_changed", source_span=f"{number} {unit}", number=number, unit=unit))
        target_signs = Counter((sign, _canonical_number(n)) for sign, n in _COMPARISON.findall(_numbers_canonical(plain)))
        source_signs = Counter((sign, _canonical_number(n)) for sign, n in _COMPARISON.findall(unicodedata.normalize("NFKC", source)))
        for (sign, value), count in source_signs.items():
            other = next(((s, v) for s, v in target_signs if v == value and s != sign), None)
            if target_signs[(sign, value)] < count and other:
                found = re.search(rf"{re.escape(other[0])}\s?{re.escape(value)}", plain)  # where the changed sign stands
                at = found.start() if found and len(plain) == len(target) else target.find(value)
                other = "".join(other)
                problems.append(_problem(self.name, "sign_changed", source_span=f"{sign} {value}", target_span=other, start=at if at >= 0 else None,
                                         end=at + len(value) if at >= 0 else None, expected=f"{sign} {value}", found=other))
        if is_chinese(ctx.target_lang):
            problems.extend(_dates_changed(source, target))
        return problems



def _dates_changed(source: str, target: str) -> list[QAProblem]:
    """Months of the source's dates ("December 2013") that the Chinese translation writes as another month."""
    problems = []
    for match in _EN_DATE.finditer(source):
        month, year = _EN_MONTHS.index(match.group(1)) + 1, match.group(2)
        written = list(re.finditer(rf"{year}\s?年\s?(\d{{1,2}})\s?月", target))
        if written and all(int(w.group(1)) != month for w in written):
            wrong = written[0]
            problems.append(_problem("units", "date_changed", source_span=match.group(), target_span=wrong.group(), start=wrong.start(1),
                                     end=wrong.end(1), date=match.group(), found=wrong.group()))
    return problems

def _numbers_canonical(text: str) -> str:
    return _NUMBER.sub(lambda m: _canonical_number(m.group()), text)


# From the first kana to the last of a stretch (kanji between them are Japanese too); Hangul likewise.
_KANA = re.compile(f"[{KANA}](?:[{KANA}{HAN}]*[{KANA}])?")
_HANGUL = re.compile(r"[\uac00-\ud7af](?:[\uac00-\ud7af\s]*[\uac00-\ud7af])?")


class WrongLanguageCheck(_PairCheck):
    """Text in a language that is neither the target nor kept from the source: Japanese or Korean in a Chinese
    translation, or a "translation" that is still entirely in the source language."""

    name = "wrong_language"

    def check_pair(self, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        problems = []
        if is_chinese(ctx.target_lang):
            for pattern, language in ((_KANA, "Japanese"), (_HANGUL, "Korean")):
                for match in pattern.finditer(target):
                    if match.group() not in source:
                        problems.append(_problem(self.name, "wrong_language", target_span=match.group(), start=match.start(), end=match.end(),
                                                 language=language, text=match.group()[:30]))
        if not ctx.target_lang.latin and ctx.source_lang.latin and not CJK.search(target) and len(_LATIN_WORD.findall(target)) >= 4:
            problems.append(_problem(self.name, "not_target_language", start=0, end=len(target), language=ctx.target_lang.name))
        return _without_overlaps(problems)


# ---- meaning: direction, negation, statistics ------------------------------------------------------------------


def _cue_patterns(lang: Language, english: re.Pattern[str], chinese: re.Pattern[str]) -> re.Pattern[str] | None:
    if lang.code == "en":
        return english
    return chinese if is_chinese(lang) else None


def _without_terms(pair: SentencePair, ctx: QAContext) -> tuple[str, str]:
    """Both sides of a sentence pair with the glossary terms blanked out (same length): "long-term depression"
    and 长时程抑制, "reuptake inhibitor" and 再摄取抑制剂 are names, not statements of change."""
    source, target = pair.source, pair.target
    lang = ctx.glossary_pair[1] if ctx.glossary_pair else None
    forms: list[str] = []
    for start, end, entry in ctx.terms(source):
        source = source[:start] + " " * (end - start) + source[end:]
        if lang:
            forms.extend(renderings(entry, lang))
            forms.extend(z for _, z in entry.senses)
    for form in sorted(set(forms), key=len, reverse=True):
        target = target.replace(form, "\u3000" * len(form))
    return source, target


class _SentenceMeaningCheck(_PairCheck):
    """Compares cue words sentence by sentence (aligned sentences of the pair)."""

    def check_pair(self, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        problems = []
        for pair in ctx.sentence_pairs(source, target):
            masked_source, masked_target = _without_terms(pair, ctx)
            problems.extend(self.check_sentence(pair, masked_source, masked_target, ctx))
        return problems

    def check_sentence(self, pair: SentencePair, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        raise NotImplementedError


def _span_of(pair: SentencePair, matches: list[re.Match[str]]) -> tuple[int, int]:
    """The one cue at fault when there is one, else the whole target sentence."""
    if len(matches) == 1:
        return pair.target_start + matches[0].start(), pair.target_start + matches[0].end()
    return pair.target_start, pair.target_end


class DirectionCheck(_SentenceMeaningCheck):
    """A direction or comparison reversed: the translation of a sentence has more cues of one direction (higher,
    increase, more, protective) and fewer of the other than its source."""

    name = "direction"

    def check_sentence(self, pair: SentencePair, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        source_up, source_down = _cue_patterns(ctx.source_lang, lex.EN_UP, lex.ZH_UP), _cue_patterns(ctx.source_lang, lex.EN_DOWN, lex.ZH_DOWN)
        target_up, target_down = _cue_patterns(ctx.target_lang, lex.EN_UP, lex.ZH_UP), _cue_patterns(ctx.target_lang, lex.EN_DOWN, lex.ZH_DOWN)
        if not (source_up and source_down and target_up and target_down):
            return []
        s_up, s_down = source_up.findall(source), source_down.findall(source)
        t_up, t_down = list(target_up.finditer(target)), list(target_down.finditer(target))
        # Also a direction the source never takes, where it takes the other ("a greater BMI at Y1 …, at Y15" → 较高…较低).
        if len(t_up) > len(s_up) and (len(t_down) < len(s_down) or (not s_up and s_down)):
            excess, said = t_up, s_down
        elif len(t_down) > len(s_down) and (len(t_up) < len(s_up) or (not s_down and s_up)):
            excess, said = t_down, s_up
        else:
            return []
        start, end = _span_of(pair, excess)
        return [_problem(self.name, "direction_reversed", source_span=pair.source, start=start, end=end,
                         source_cues=", ".join(dict.fromkeys(w.lower() for w in said)), target_cues="、".join(dict.fromkeys(m.group() for m in excess)))]


class NegationCheck(_SentenceMeaningCheck):
    """A negation added or lost: the source sentence says "not/no/neither…" and its translation has no 不/未/无…,
    or the other way round."""

    name = "negation"

    def check_sentence(self, pair: SentencePair, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        source_cues, target_cues = _cue_patterns(ctx.source_lang, lex.EN_NEGATION, lex.ZH_NEGATION), _cue_patterns(ctx.target_lang, lex.EN_NEGATION, lex.ZH_NEGATION)
        if not (source_cues and target_cues):
            return []
        said, written = source_cues.findall(source), list(target_cues.finditer(target))
        if len(said) == len(written):
            return []
        start, end = _span_of(pair, written)
        key = "negation_added" if len(written) > len(said) else "negation_lost"
        return [_problem(self.name, key, source_span=pair.source, start=start, end=end,
                         cues=", ".join(dict.fromkeys(w.lower() for w in said)) or "、".join(m.group() for m in written))]


class StatisticCheck(_SentenceMeaningCheck):
    """A statistic renamed: the translation of a sentence names a statistic (似然比, 比值比, 敏感性, 中位数 …) more often
    than its source does — likelihood ratio turned predictive value, odds turned risk."""

    name = "statistic"

    def check_sentence(self, pair: SentencePair, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        src_en, tgt_en = ctx.source_lang.code == "en", ctx.target_lang.code == "en"
        if not ((src_en and is_chinese(ctx.target_lang)) or (tgt_en and is_chinese(ctx.source_lang))):
            return []
        # Statistic names are glossary terms too: compared on the unmasked sentences.
        source, target = pair.source, pair.target
        counts = {}
        for name, (english, chinese) in lex.STATISTICS.items():
            s_pattern, t_pattern = (english, chinese) if src_en else (chinese, english)
            counts[name] = (len(s_pattern.findall(source)), list(t_pattern.finditer(target)))
        problems = []
        for name, (said, written) in counts.items():
            if len(written) > said:
                lost = [other for other, (s, w) in counts.items() if other != name and len(w) < s]
                start, end = _span_of(pair, written if said == 0 else [])
                problems.append(_problem(self.name, "statistic_renamed" if lost else "statistic_added", source_span=pair.source,
                                         start=start, end=end, statistic=name, source_statistic=", ".join(lost)))
        return problems


# ---- numbers attached to their quantities ---------------------------------------------------------------------

_OPEN, _CLOSE = "([（【", ")]）】"
_CONTEXT_TOKEN = re.compile(
    rf"(?P<number>(?:\d{{1,3}}(?:,\d{{3}})+(?!\d)|\d+)(?:\.\d+)?|\.\d+)|(?P<clause>[,;，；:：])"  # 、 enumerates, within a clause
    rf"|[%％‰]|[A-Za-zα-ωΑ-Ω][A-Za-z0-9α-ωΑ-Ω'’\-/]*|[{HAN}]+"
)
_NEAR = 5                  # words either side of a number, within its clause, that may describe it
_LEAD = 4                  # words before a bracket that describe the numbers inside it
_LIST_JOINERS = frozenset({"and", "or", "和", "或", "及"})
_LABEL_WORDS = 2           # words of a clause without numbers that labels the clause after it ("N1, 16 patients")
_LIST_LENGTH = 3           # numbers a list needs before its members tell where a number belongs (two may be a range)
_CONTEXT_STOPWORDS = lex.GLOSS_STOPWORDS | frozenset("had has have than who did not all each both per total vs versus".split())


@dataclass(slots=True)
class _Token:
    text: str
    start: int
    number: str | None = None        # canonical value when the token is a number
    keys: frozenset[str] = frozenset()
    clause: int = 0


@dataclass(slots=True)
class _NumberContext:
    keys: dict[str, float]           # keys of the words describing the number, with their weight
    span: tuple[int, int]
    words: str                       # those words, as written
    listed: tuple[tuple[str, int], ...]  # the numbers of its list, itself included (just itself when not listed)


def _bracket_groups(text: str) -> tuple[list[int], dict[int, tuple[int, int]]]:
    """For each character the bracket group it belongs to (0: outside any), and per group its parent and where
    it opens: "HR = 0.78" inside "(…)" is described by its bracket and by the words before it."""
    owner, stack, groups = [], [0], {}
    for i, char in enumerate(text):
        if char in _OPEN:
            owner.append(stack[-1])
            groups[len(groups) + 1] = (stack[-1], i)
            stack.append(len(groups))
        elif char in _CLOSE and len(stack) > 1:
            owner.append(stack.pop())
        else:
            owner.append(stack[-1])
    return owner, groups


class NumberAttachmentCheck(_PairCheck):
    """A number attached to another quantity: two numbers of a sentence that each stand, in the translation, beside
    what the other one describes in the source ("750 individuals with MCI … 12 centers" → "750个中心…12名MCI患者").
    What describes a number is the words nearest it in its clause and bracket (inside brackets, also the words
    before them), compared across languages through shared symbols, glossary terms and dictionary glosses; a number
    listed with others ("years 1, 5, 10, and 15") is also described by the numbers listed with it."""

    name = "number_attachment"

    def check_pair(self, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        if ctx.terminology is None or ctx.source_lang.code != "en" or not is_chinese(ctx.target_lang):
            return []
        problems = []
        for pair in ctx.sentence_pairs(source, target):
            problems.extend(self._check_sentence(pair, ctx))
        return problems

    def _check_sentence(self, pair: SentencePair, ctx: QAContext) -> list[QAProblem]:
        source_numbers = numbers_in(pair.source, ctx.source_lang, locants=False)
        target_numbers = numbers_in(pair.target, ctx.target_lang, locants=False)
        shared = {n for n, c in source_numbers.items() if c == target_numbers[n]}
        if sum(source_numbers[n] for n in shared) < 2:
            return []
        terms = ctx.terms(pair.source)
        source_context = _number_contexts(pair.source, shared, lambda t: _english_keys(t, terms))
        target_context = _number_contexts(pair.target, shared, lambda t: _chinese_keys(t, ctx, terms))
        numbers = [n for n in source_context if n in target_context]

        def fit(a: tuple[str, int], b: tuple[str, int]) -> float:
            said, written = source_context[a].keys, target_context[b].keys
            return sum(min(weight, written[key]) for key, weight in said.items() if key in written)

        def moved(a: tuple[str, int], b: tuple[str, int]) -> QAProblem:
            start, end = target_context[a].span
            return _problem(self.name, "number_moved", source_span=pair.source, start=pair.target_start + start, end=pair.target_start + end,
                            number=a[0], other=b[0], quantity=source_context[a].words, other_quantity=source_context[b].words)

        problems: list[QAProblem] = []
        reported: set[tuple[str, int]] = set()
        for i, a in enumerate(numbers):
            for b in numbers[i + 1:]:
                if a[0] != b[0] and not {a, b} & reported and fit(a, b) > fit(a, a) and fit(b, a) > fit(b, b):
                    reported |= {a, b}
                    problems.append(moved(a, b))
        for a, b in _moved_in_lists(source_context, target_context):
            if not {a, b} & reported:
                reported |= {a, b}
                problems.append(moved(a, b))
        return problems


def _moved_in_lists(source_context: dict[tuple[str, int], _NumberContext],
                    target_context: dict[tuple[str, int], _NumberContext]) -> list[tuple[tuple[str, int], tuple[str, int]]]:
    """Numbers of a list in the wrong place, with the number whose place they took: a list of as many numbers as its
    source list, with all but one of them the same ("years 1, 5, 10, and 15" → 第1、5、10和594年) or all of them in
    another order (its order is what ties each to its quantity: "at 1, 5, and 10 years were 172, 175, and 210").
    Every number of the sentence is there as often on both sides, so the one that left the list stands where the one
    that entered it was — a swap even where neither has words of its own (594名[…有BMI数据的]女性 → 15名…)."""
    found = []
    for key, written in target_context.items():
        said = source_context.get(key)
        if said is None or len(said.listed) != len(written.listed) or len(said.listed) < _LIST_LENGTH:
            continue
        said_values, written_values = [n for n, _ in said.listed], [n for n, _ in written.listed]
        entered, left = Counter(written_values) - Counter(said_values), Counter(said_values) - Counter(written_values)
        if not entered and said_values != written_values:  # reordered: the first place that differs
            place = next(i for i, (s, w) in enumerate(zip(said_values, written_values)) if s != w)
            into, other = written.listed[place], said_values[place]
            outside = [k for k in written.listed if k[0] == other]
        elif sum(entered.values()) == sum(left.values()) == 1:
            (number,), (other,) = entered, left
            into = next(k for k in written.listed if k[0] == number)
            outside = [k for k in target_context if k[0] == other and k not in written.listed]
        else:
            continue
        if into in target_context and outside and outside[0] in target_context and (into, outside[0]) not in found:
            found.append((into, outside[0]))
    return found


def _number_contexts(text: str, wanted: Collection[str], keys_of) -> dict[tuple[str, int], _NumberContext]:
    """For each occurrence of a wanted number of a sentence, (value, how many came before it): the words describing
    it (words before its bracket weigh half) and the numbers listed with it."""
    plain = _LOCANT.sub(lambda m: " " * len(m.group()), text.translate(_WIDE))
    owner, groups = _bracket_groups(plain)
    layers: dict[int, list[_Token]] = {}
    clause: dict[int, int] = {}
    for match in _CONTEXT_TOKEN.finditer(plain):
        group = owner[match.start()]
        if match.group("clause"):
            clause[group] = clause.get(group, 0) + 1
            continue
        token = _Token(text[match.start():match.end()], match.start(), clause=clause.get(group, 0))
        if match.group("number"):
            if match.start() and plain[match.start() - 1].isalpha() and not CJK.match(plain[match.start() - 1]):
                continue  # digits of a symbol (Abeta42)
            token.number = _canonical_number(match.group())
            layers.setdefault(group, []).append(token)
        else:
            layers.setdefault(group, []).extend(keys_of(token))
    for tokens in layers.values():
        _join_bare_clauses(tokens)
    seen: Counter[str] = Counter()
    occurrence = {}
    for token in sorted((t for tokens in layers.values() for t in tokens if t.number), key=lambda t: t.start):
        occurrence[token.start] = seen[token.number]
        seen[token.number] += 1
    contexts: dict[tuple[str, int], tuple[dict[str, float], tuple[int, int], str]] = {}
    for group, tokens in layers.items():
        for i, token in enumerate(tokens):
            if token.number not in wanted:
                continue
            near = _nearest_words(tokens, i)
            lead: list[_Token] = []
            if group:  # inside brackets: also what stands before them, back to the bracket before
                parent, opening = groups[group]
                after = max((k for k in range(opening) if owner[k] != parent), default=-1)
                before = [t for t in layers.get(parent, []) if after < t.start < opening]
                lead = [t for t in before if t.keys and t.clause == before[-1].clause][-_LEAD:] if before else []
            keys = {key: 0.5 for t in lead for key in t.keys} | {key: 1.0 for t in near for key in t.keys}
            listed = tuple((tokens[k].number, occurrence[tokens[k].start]) for k in sorted(_list_of(tokens, i)))
            contexts[(token.number, occurrence[token.start])] = _NumberContext(
                keys, (token.start, token.start + len(token.text)), " ".join(dict.fromkeys(t.text for t in near + lead)), listed)
    return contexts


def _join_bare_clauses(tokens: list[_Token]) -> None:
    """A clause of numbers and function words alone ("positive LR, 3.0", "1, 5, 10, and 15") belongs with the
    clause before it; a short clause without numbers before one with numbers is its label ("N1, 16 patients (26%)",
    "Overall, 78 patients") and belongs with it, as in Chinese (N1期16例)."""
    joined: dict[int, int] = {}
    for clause in sorted({t.clause for t in tokens}):
        members = [t for t in tokens if t.clause == clause]
        bare = not any(t.keys or CJK.match(t.text) for t in members if not t.number)
        joined[clause] = joined.get(clause - 1, clause - 1) if clause and bare else clause
        for t in members:
            t.clause = joined[clause]
    clauses = sorted({t.clause for t in tokens})
    for clause, after in reversed(list(zip(clauses, clauses[1:]))):
        members = [t for t in tokens if t.clause == clause]
        if not any(t.number for t in members) and sum(bool(t.keys) for t in members) <= _LABEL_WORDS and any(t.number for t in tokens if t.clause == after):
            for t in members:
                t.clause = after


def _nearest_words(tokens: list[_Token], i: int) -> list[_Token]:
    """Words of number ``i``'s clause within ``_NEAR`` tokens of it and no nearer another number. The numbers of a
    bare list ("years 1, 5, 10, and 15", "第1、5、10和15年") stand as one: the words around the list describe each."""
    clause = [k for k, t in enumerate(tokens) if t.clause == tokens[i].clause and (t.number or t.keys)]
    position = {k: n for n, k in enumerate(clause)}  # words without meaning (的, 了, the, and) do not count
    numbers = {position[k] for k in clause if tokens[k].number}
    listed = [position[k] for k in _list_of(tokens, i)]
    first, last = min(listed), max(listed)

    def distance(n: int) -> int:
        return first - n if n < first else n - last if n > last else 0

    others = [n for n in numbers if not first <= n <= last]
    return [
        tokens[k] for k in clause
        if tokens[k].keys and distance(position[k]) <= _NEAR
        and all(abs(position[k] - n) >= distance(position[k]) for n in others)
    ]


def _list_of(tokens: list[_Token], i: int) -> list[int]:
    """Number ``i`` and the numbers listed with it, joined by nothing but commas, 、 and "and"/"or"/和/或/及."""
    run = [i]
    for step in (-1, 1):
        k = i + step
        while 0 <= k < len(tokens) and tokens[k].clause == tokens[i].clause:
            if tokens[k].number:
                run.append(k)
            elif tokens[k].text.lower() not in _LIST_JOINERS:
                break
            k += step
    return run


def _english_keys(token: _Token, terms: Sequence[tuple[int, int, GlossaryEntry]]) -> list[_Token]:
    word = token.text
    if (word.lower() in _CONTEXT_STOPWORDS and not is_symbol(word)) or (len(word) < 2 and word not in "%％‰Pp"):  # P of "P = .03" names a value
        return [token]
    keys = {_symbol_key(word)} if is_symbol(word) or len(word) < 2 else _stems(word)
    keys |= {"G:" + entry.en for s, e, entry in terms if s <= token.start < e}
    token.keys = frozenset(keys)
    return [token]


def _chinese_keys(token: _Token, ctx: QAContext, terms: Sequence[tuple[int, int, GlossaryEntry]]) -> list[_Token]:
    if not CJK.match(token.text):
        return _english_keys(token, ())
    assert ctx.terminology is not None
    forms = [(entry, f) for _, _, entry in terms for f in (*renderings(entry, "zh"), *(z for _, z in entry.senses)) if f]
    tokens, position = [], token.start
    for word in ctx.terminology.segment(token.text):
        keys: set[str] = {_stem(unit) for unit, forms in _ZH_TIME.items() if word in forms.split("|")}  # 周: week
        if len(word) >= 2:
            keys = _word_glosses(ctx.terminology, word) | {"G:" + entry.en for entry in ctx.terminology.lookup_zh(word)}
            if not keys:  # a compound the dictionary lacks (男女比例): its two-character parts
                keys = set().union(*(_word_glosses(ctx.terminology, word[k:k + 2]) for k in range(0, len(word) - 1, 2)))
            keys |= {"G:" + entry.en for entry, f in forms if f in word or word in f}
        tokens.append(_Token(word, position, keys=frozenset(keys), clause=token.clause))
        position += len(word)
    return tokens


def _symbol_key(token: str) -> str:
    """A symbol as either side may write it: "Aβ" and "Abeta", "ε4" and "e4", "PPIs" and "PPI"."""
    token = token.replace("β", "beta").replace("ε", "e").replace("％", "%")
    return "L:" + (token[:-1] if token.endswith("s") and token[:-1].isupper() else token).casefold()

DEFAULT_CHECKS: tuple[QACheck, ...] = (
    UntranslatedCheck(),
    GlossaryCheck(),
    InconsistentTermCheck(),
    NumbersCheck(),
    UnitsCheck(),
    OmissionCheck(),
    AdditionCheck(),
    RepetitionCheck(),
    ForeignContentCheck(),
    VariantTermCheck(),
    NamesCheck(),
    DroppedSpanCheck(),
    WrongLanguageCheck(),
    DirectionCheck(),
    NegationCheck(),
    StatisticCheck(),
    NumberAttachmentCheck(),
)


def run_checks(
    sources: Sequence[str], targets: Sequence[str], ctx: QAContext, checks: Sequence[QACheck] = DEFAULT_CHECKS
) -> list[QAProblem]:
    """All problems of all checks, in check order. Chinese sides are compared in Simplified form."""
    if len(sources) != len(targets):
        raise ValueError(f"{len(sources)} sources but {len(targets)} targets")
    if ctx.source_lang.code == "zh-Hant":
        sources = [_t2s.convert(s) for s in sources]
    if ctx.target_lang.code == "zh-Hant":
        targets = [_t2s.convert(t) for t in targets]
    problems: list[QAProblem] = []
    for check in checks:
        problems.extend(check.check(sources, targets, ctx))
    for problem in problems:
        if problem.segment is not None:
            _locate(problem, sources[problem.segment], targets[problem.segment], ctx)
    return problems


def _locate(problem: QAProblem, source: str, target: str, ctx: QAContext) -> None:
    """Offsets for a finding that names its target text but not where (its first occurrence), and the sentence
    pair it is in."""
    if problem.target_start is None and problem.target_span:
        at = target.find(problem.target_span)
        if at >= 0:
            problem.target_start, problem.target_end = at, at + len(problem.target_span)
    elif problem.target_start is not None and problem.target_span is None:
        problem.target_span = target[problem.target_start:problem.target_end]
    for pair in ctx.sentence_pairs(source, target):
        if problem.target_start is not None:
            inside = pair.target_start <= problem.target_start < max(pair.target_end, pair.target_start + 1)
        else:
            inside = bool(problem.source_span) and problem.source_span in pair.source
        if inside:
            problem.target_sentence, problem.source_sentence = pair.target, pair.source
            return


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n|\n", text) if p.strip()]


def qa_report(
    source_text: str,
    target_text: str,
    source_lang: str,
    target_lang: str,
    terminology: Terminology,
    glossary: Sequence[GlossaryEntry] | None = None,
) -> list[QAProblem]:
    """QA of a whole translated text: paragraphs are paired when both sides have the same number of them,
    otherwise the texts are checked as one segment."""
    ctx = QAContext.create(source_lang, target_lang, terminology, glossary)
    ctx.abbreviations |= defined_abbreviations(source_text)
    sources, targets = _paragraphs(source_text), _paragraphs(target_text)
    if len(sources) != len(targets):
        sources, targets = [" ".join(sources)], ["\n".join(targets)]
    return run_checks(sources, targets, ctx)
