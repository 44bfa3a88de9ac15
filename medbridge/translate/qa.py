"""Quality checks run on every translation and by ``medbridge qa``: each a small class with a ``name`` and
``check(sources, targets, ctx) -> list[QAProblem]``; ``run_checks`` runs them all.

They work on any list of (source, target) text pairs: a document's paragraphs, a batch of table cells or a
single abstract section. Problems carry the index of the pair (``segment``) and the spans involved.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Collection, Protocol, Sequence

from opencc import OpenCC

from medbridge.terms import GlossaryEntry, Terminology, get_terminology
from medbridge.translate.base import QAProblem
from medbridge.translate.languages import Language, get_language, is_chinese
from medbridge.translate.protect import defined_abbreviations, is_symbol, protect
from medbridge.translate.segment import split_sentences

_t2s = OpenCC("t2s")

# ---- shared helpers ---------------------------------------------------------------------------------

_WIDE = str.maketrans("０１２３４５６７８９．％－，：", "0123456789.%-,:")
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\u3040-\u30ff]")
_CJK_WEIGHT = 3.3  # one CJK character carries about as much as 3.3 English letters (measured on the references)


def weighted_length(text: str) -> float:
    """Length comparable across scripts: non-space characters, CJK ones weighted ×3.3 (en→zh ratio ≈ 1)."""
    return sum(_CJK_WEIGHT if _CJK.match(c) else 1.0 for c in text if not c.isspace())


def _sentences(text: str, lang: Language) -> list[str]:
    return [s.strip() for s in split_sentences(text, lang, clause_marks=False) if s.strip()]


_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?|(?<![A-Za-z0-9_])\.\d+")
_EN_NUMBER_WORDS = {
    w: i for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100}
_ZH_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_NUMBER = re.compile(r"[〇零一二两三四五六七八九十百]+")


def _canonical_number(raw: str) -> str:
    raw = raw.replace(",", "")
    if raw.startswith("."):
        raw = "0" + raw
    try:
        value = Decimal(raw).normalize()
    except InvalidOperation:
        return raw
    return format(value, "f")


def numbers_in(text: str, lang: Language) -> Counter[str]:
    """Digit-written numbers, canonical (".05" → "0.05", "1,279" → "1279", full-width digits → ASCII)."""
    text = text.translate(_WIDE)
    if lang.decimal_comma:
        text = re.sub(r"(?<=\d)[.\u202f\u00a0 ](?=\d{3}(?!\d))", "", text)
        text = re.sub(r"(?<=\d),(?=\d)", ".", text)
    return Counter(_canonical_number(m.group()) for m in _NUMBER.finditer(text))


def _zh_number_value(word: str) -> int | None:
    """一 → 1, 十二 → 12, 二十三 → 23, 三百 → 300; None when not a simple numeral."""
    if "百" in word:
        head, _, rest = word.partition("百")
        hundreds = _ZH_DIGITS.get(head, 1 if head == "" else -1)
        tail = _zh_number_value(rest) if rest else 0
        return None if hundreds < 0 or tail is None else hundreds * 100 + tail
    if "十" in word:
        tens_part, _, ones_part = word.partition("十")
        tens = _ZH_DIGITS.get(tens_part, 1 if tens_part == "" else -1)
        ones = _ZH_DIGITS.get(ones_part, 0 if ones_part == "" else -1)
        return None if tens < 0 or ones < 0 else tens * 10 + ones
    return _ZH_DIGITS.get(word) if len(word) == 1 else None


def spelled_numbers_in(text: str) -> set[str]:
    """Numbers written as words ("two", "十二"): they may stand for a digit on the other side, never required."""
    found = {str(_EN_NUMBER_WORDS[w]) for w in re.findall(r"[a-z]+", text.lower()) if w in _EN_NUMBER_WORDS}
    for match in _ZH_NUMBER.finditer(text):
        value = _zh_number_value(match.group())
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

    @classmethod
    def create(
        cls, source: str, target: str, glossary: Sequence[GlossaryEntry] | None = None, terminology: Terminology | None = None
    ) -> QAContext:
        terms = terminology or get_terminology()
        if glossary:
            terms = terms.with_user_entries(glossary)
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


def _plausible_match(surface: str, entry: GlossaryEntry) -> bool:
    """A short match must have the exact case of a listed form: "as" is not arsenic's symbol "As"."""
    return len(surface) > 3 or surface in (entry.en, *entry.en_variants, entry.zh, *entry.zh_variants)


def renderings(entry: GlossaryEntry, lang: str) -> tuple[str, ...]:
    """Approved form first, then variants. Latin variants of a Chinese term ("LTD") are abbreviations a
    Chinese text keeps by convention, not competing renderings."""
    if lang == "zh":
        return (entry.zh, *(v for v in entry.zh_variants if _CJK.search(v)))
    return (entry.en, *entry.en_variants)


def forms_used(entry: GlossaryEntry, target: str, lang: str) -> list[str]:
    """Which renderings of ``entry`` occur in ``target``; a variant inside the approved form does not count
    ("阿尔茨海默" inside "阿尔茨海默病")."""
    forms = sorted(renderings(entry, lang), key=len, reverse=True)
    flags = re.IGNORECASE if lang == "en" else 0
    boundary = (r"(?<![A-Za-z])", r"(?![A-Za-z])") if lang == "en" else ("", "")
    pattern = re.compile(boundary[0] + "(" + "|".join(re.escape(f) for f in forms if f) + ")" + boundary[1], flags)
    used: list[str] = []
    for match in pattern.finditer(target):
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
                QAProblem(self.name, f"source-script text left untranslated: {m.group()!r}", target_span=m.group())
                for m in re.finditer(r"[\u4e00-\u9fff\u3040-\u30ff\uac00-\ud7af]+", target)
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
            fragment = target[run[0].start():run[-1].end()]
            if any(p.target_span == fragment for p in problems):
                pass
            elif len(words) >= 2:
                problems.append(QAProblem(self.name, f"English left untranslated: {fragment!r}", target_span=fragment))
            elif len(words[0]) >= 4 and words[0].lower() in source_words:
                severity = "warning" if words[0][0].isupper() else "error"  # a capitalised word may be a name
                problems.append(QAProblem(self.name, f"English word left untranslated: {fragment!r}", target_span=fragment, severity=severity))
            elif len(words[0]) >= 3 and words[0].lower() not in components and any(
                w != words[0].lower() and words[0].lower() in w for w in source_words if len(w) > 4
            ):
                # Half a source word glued to a translation ("溶uble" for "soluble"): a broken rendering. A whole
                # part of a compound ("tau" of "phospho-tau") is no half-word.
                problems.append(QAProblem(self.name, f"part of an English word left untranslated: {fragment!r}", target_span=fragment))
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
        return [QAProblem(self.name, f"source text copied untranslated: {copied[0]!r}…", target_span=copied[0])] if copied else []


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
    """The source has a glossary term and the target lacks its approved rendering (an abbreviation the
    source uses, kept verbatim, counts as rendered: Chinese papers write "AD患者")."""

    name = "glossary"

    def check_pair(self, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        pair = ctx.glossary_pair
        if pair is None:
            return []
        problems: list[QAProblem] = []
        seen: set[GlossaryEntry] = set()
        for start, end, entry in ctx.terms(source):
            surface = source[start:end]
            if entry in seen or term_rendered(entry, surface, target, pair[1], ctx.abbreviations):
                continue
            seen.add(entry)
            approved = entry.zh if pair[1] == "zh" else entry.en
            used = [f for f in forms_used(entry, target, pair[1]) if f != approved]
            detail = f", found variant {used[0]!r}" if used else ""
            problems.append(
                QAProblem(self.name, f"{surface!r} should be rendered {approved!r}{detail}", source_span=surface, target_span=used[0] if used else None)
            )
        return problems


def term_rendered(entry: GlossaryEntry, surface: str, target: str, target_lang: str, abbreviations: Collection[str] = ()) -> bool:
    """Whether ``target`` renders the source occurrence ``surface`` of ``entry`` as approved: the approved form,
    a Latin form the glossary lists for Chinese ("Aβ", "tau"), or the source's own abbreviation kept verbatim
    (a symbol, or one the document defines: "Abeta")."""
    approved = entry.zh if target_lang == "zh" else entry.en
    if approved in forms_used(entry, target, target_lang):
        return True
    if target_lang == "zh" and any(v in target for v in entry.zh_variants if not _CJK.search(v)):
        return True
    return (is_symbol(surface) or surface in abbreviations) and surface in target


class InconsistentTermCheck:
    """One source term rendered in more than one way across the batch/document (e.g. a drug spelled two ways)."""

    name = "inconsistent_term"

    def check(self, sources: Sequence[str], targets: Sequence[str], ctx: QAContext) -> list[QAProblem]:
        pair = ctx.glossary_pair
        if pair is None:
            return []
        uses: dict[GlossaryEntry, dict[str, list[int]]] = {}
        for index, (source, target) in enumerate(zip(sources, targets)):
            for entry in {e for _, _, e in ctx.terms(source)}:
                for form in forms_used(entry, target, pair[1]):
                    uses.setdefault(entry, {}).setdefault(form, []).append(index)
        problems: list[QAProblem] = []
        for entry, forms in uses.items():
            if len(forms) < 2:
                continue
            approved = entry.zh if pair[1] == "zh" else entry.en
            listing = ", ".join(f"{form!r} ({'segment' if len(ix) == 1 else 'segments'} {', '.join(str(i) for i in ix)})" for form, ix in forms.items())
            for form, indexes in forms.items():
                if form == approved and len(forms) > 1:
                    continue
                for index in indexes:
                    problems.append(
                        QAProblem(self.name, f"{entry.en!r} rendered inconsistently: {listing}; use {approved!r}", segment=index, source_span=entry.en, target_span=form)
                    )
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
                source = source[:start] + " " + source[end:]
            for form in forms:
                target = target.replace(form, " ")
        src = numbers_in(source, ctx.source_lang)
        tgt = numbers_in(target, ctx.target_lang)
        problems = []
        spelled_in_target = spelled_numbers_in(target)
        spelled_in_source = spelled_numbers_in(source)
        for number in sorted(src.keys() - tgt.keys()):
            if number not in spelled_in_target:
                problems.append(QAProblem(self.name, f"number {number} of the source is missing", source_span=number))
        for number in sorted(tgt.keys() - src.keys()):
            if number not in spelled_in_source:
                problems.append(QAProblem(self.name, f"number {number} is not in the source", target_span=number))
        return problems


@dataclass(slots=True)
class Alignment:
    omitted: list[str]   # source sentences with no counterpart
    added: list[str]     # target sentences with no counterpart
    ratio: float         # weighted length ratio target/source, relative to the language pair's expectation


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
    omitted, added = [], []
    i, j = n, m
    while i or j:
        di, dj = back[i][j]
        if dj == 0:
            omitted.append(src[i - 1])
        if di == 0:
            added.append(tgt[j - 1])
        i, j = i - di, j - dj
    return Alignment(omitted[::-1], added[::-1], ratio)


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


class OmissionCheck(_PairCheck):
    """Source sentences with no counterpart in the target, or a target far shorter than expected."""

    name = "omission"

    def check_pair(self, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        if not target.strip():
            return [QAProblem(self.name, "translation is empty")]
        alignment = align(source, target, ctx.source_lang, ctx.target_lang, _glossary_anchors(source, ctx))
        problems = [
            QAProblem(self.name, f"sentence not translated: {s[:80]!r}", source_span=s) for s in alignment.omitted
        ]
        if not problems and weighted_length(source) >= _MIN_CHECKED_LENGTH and alignment.ratio < 0.55:
            problems.append(QAProblem(self.name, f"translation is {alignment.ratio:.0%} of the expected length: part is missing"))
        return problems


class AdditionCheck(_PairCheck):
    """Target sentences with no counterpart in the source, or a target far longer than expected."""

    name = "addition"

    def check_pair(self, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        if not target.strip():
            return []
        alignment = align(source, target, ctx.source_lang, ctx.target_lang, _glossary_anchors(source, ctx))
        problems = [QAProblem(self.name, f"sentence not in the source: {t[:80]!r}", target_span=t) for t in alignment.added]
        if not problems and weighted_length(source) >= _MIN_CHECKED_LENGTH and alignment.ratio > 2.0:
            problems.append(QAProblem(self.name, f"translation is {alignment.ratio:.0%} of the expected length: text was added"))
        return problems


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
                    problems.append(QAProblem(self.name, f"{unit.strip()!r} repeated: {match.group()[:60]!r}…", target_span=match.group()))
                    break
        sentences = Counter(s for s in _sentences(target, ctx.target_lang) if weighted_length(s) >= 10)
        source_sentences = Counter(_sentences(source, ctx.source_lang))
        source_repeats = max(source_sentences.values(), default=1)
        for sentence, count in sentences.items():
            if count > max(1, source_repeats):
                problems.append(QAProblem(self.name, f"sentence repeated {count} times: {sentence[:60]!r}", target_span=sentence))
        return problems


_SPAM = re.compile(
    r"click here|subscribe|sign up|follow us|buy now|order now|free trial|discount|promo(?:tion)? code|coupon"
    r"|visit our (?:web)?site|download (?:our|the) app|limited[- ]time|whatsapp|telegram|wechat|advertis"
    r"|点击|订阅|关注我们|关注公众号|公众号|扫码|扫描二维码|二维码|加微信|微信号|优惠|折扣|免费领取|立即购买|限时"
    r"|下载APP|下载app|广告|推广|客服|咨询热线|官网|加群|私信",
    re.IGNORECASE,
)
_CONTACT = re.compile(
    r"(?:https?://|www\.)[!-~]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
    r"|(?<!\d)1[3-9]\d{9}(?!\d)|\+\d{1,3}[\s-]?\d[\d\s-]{6,}\d|(?<![\d.])\d{3,4}-\d{3,4}-\d{4}(?!\d)"
)


class ForeignContentCheck(_PairCheck):
    """Content that does not belong: ads, "click here"/"subscribe" text, URLs, e-mails or phone numbers that
    the source does not have."""

    name = "foreign_content"

    def check_pair(self, source: str, target: str, ctx: QAContext) -> list[QAProblem]:
        problems = []
        for match in _SPAM.finditer(target):
            if not re.search(re.escape(match.group()), source, re.IGNORECASE):
                problems.append(QAProblem(self.name, f"promotional text not in the source: {match.group()!r}", target_span=match.group()))
        for match in _CONTACT.finditer(target):
            if match.group().rstrip(".,;)") not in source:
                problems.append(QAProblem(self.name, f"contact/link not in the source: {match.group()!r}", target_span=match.group()))
        return problems


DEFAULT_CHECKS: tuple[QACheck, ...] = (
    UntranslatedCheck(),
    GlossaryCheck(),
    InconsistentTermCheck(),
    NumbersCheck(),
    OmissionCheck(),
    AdditionCheck(),
    RepetitionCheck(),
    ForeignContentCheck(),
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
    return problems


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n|\n", text) if p.strip()]


def qa_report(
    source_text: str,
    target_text: str,
    source_lang: str,
    target_lang: str,
    glossary: Sequence[GlossaryEntry] | None = None,
    terminology: Terminology | None = None,
) -> list[QAProblem]:
    """QA of a whole translated text: paragraphs are paired when both sides have the same number of them,
    otherwise the texts are checked as one segment."""
    ctx = QAContext.create(source_lang, target_lang, glossary, terminology)
    sources, targets = _paragraphs(source_text), _paragraphs(target_text)
    if len(sources) != len(targets):
        sources, targets = [" ".join(sources)], ["\n".join(targets)]
    return run_checks(sources, targets, ctx)
