"""Span protection: parts of a text the model must copy, not translate, become numbered markers.

Numbers with units, p-values, confidence intervals, percentages, ranges, gene/protein symbols and
abbreviations (tokens with internal capitals or digits), DOIs, URLs and e-mail addresses are replaced with
``⟦1⟧ ⟦2⟧ …``; inline markup tags (<i>, <sup>, …) of a markup fragment become markers too. After the model
answers, markers are put back and any missing, duplicated or invented marker is reported as a QA problem.

Identical spans share a marker (a symbol repeated five times costs one marker, and the model may use it
fewer times); every tag gets its own, so opening and closing tags cannot swap.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Collection

from medbridge.translate.base import QAProblem
from medbridge.translate.qa_messages import problem

_TAG = re.compile(r"</?(?:i|b|u|em|strong|sup|sub)>", re.IGNORECASE)
_TAG_SENTINEL = "\ue000"  # stands for one tag inside the plain text while spans are found

# Lookbehinds name ASCII classes explicitly: ``\w`` also matches Han characters, and "脑脊液Abeta42" must
# still yield "Abeta42".
_NUM = r"(?<![A-Za-z0-9_.])(?:[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)"
_UNIT = (
    r"(?:[mµμnpf]?(?:g|mol|M|L|l)(?:/(?:kg|g|L|l|dL|dl|mL|ml|d|day|h|min|m2|m²))?|mmol/L|mmHg|mm Hg"
    r"|[mµμ]?U(?:/L|/mL|/l|/ml)?|IU(?:/L|/mL)?|Hz|kHz|mV|ms|°C|kDa|Da|bp|kb|mm|cm|µm|μm|nm|Gy|mSv|T)"
)
_NUM_UNIT = rf"{_NUM}(?:\s?{_UNIT}(?![A-Za-z0-9])|\s?%)?"
# A number with its unit (groups: number, unit), what QA compares unit by unit.
MEASURE = re.compile(rf"({_NUM})[\s-]?({_UNIT}(?![A-Za-z0-9])|%)")
_RANGE_SEP = r"\s?(?:-|–|—|−|to)\s?"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("tag", re.compile(_TAG_SENTINEL)),
    ("url", re.compile(r"(?:https?://|www\.)[!-~]*[A-Za-z0-9/#=_~-]")),
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")),
    ("doi", re.compile(r"(?:doi:\s*)?10\.\d{4,9}/[!-~]*[A-Za-z0-9/#=_~-]", re.IGNORECASE)),
    ("pvalue", re.compile(rf"(?<![A-Za-z])[Pp]\s?[<>=≤≥]\s?{_NUM}(?:\s?[x×]\s?10\s?[-−]\d+)?")),
    ("ci", re.compile(rf"{_NUM}\s?%\s?(?:CI|CrI)(?:[,:]?\s?{_NUM_UNIT}(?:{_RANGE_SEP}{_NUM_UNIT})?)?")),
    # Bare numbers, percentages and unit-less ranges stay visible: measured with the 1.5B model, a section
    # with ~30 markers loses its meaning and its markers, while plain digits are copied reliably (QA checks them).
    ("range", re.compile(rf"{_NUM_UNIT}{_RANGE_SEP}{_NUM}\s?{_UNIT}(?![A-Za-z0-9])")),
    ("measure", re.compile(rf"{_NUM}\s?{_UNIT}(?![A-Za-z0-9])")),
    ("symbol", re.compile(r"(?<![A-Za-z0-9_\-])[A-Za-z0-9α-ωΑ-Ω](?:[A-Za-z0-9α-ωΑ-Ω+]|[-/](?=[A-Za-z0-9α-ωΑ-Ω]))*")),
]
_ORDINAL_OR_DECADE = re.compile(r"\d+(?:st|nd|rd|th|s)", re.IGNORECASE)
# An English word inside a compound ("phospho" of "CSF/phospho-tau199", "non" of "non-AD", "peptide42"): the
# compound is words to translate around its symbols, not one symbol to copy.
_WORD_PART = re.compile(r"[a-z]{4,}\d*|non")
_COMPOUND_PART = re.compile(r"[^-/]+")


def is_symbol(token: str) -> bool:
    """Gene/protein symbol or abbreviation: NMDA, mTOR, Abeta42, T-tau, CSF, MCI, p53 (not "Alzheimer", "1990s",
    "non-AD", "peptide42")."""
    if not any(c.isalpha() for c in token) or _ORDINAL_OR_DECADE.fullmatch(token):
        return False
    if any(_WORD_PART.fullmatch(part) for part in _COMPOUND_PART.findall(token)):
        return False
    if any(c.isdigit() for c in token):
        return True
    if sum(c.isupper() for c in token) >= 2 or any(c.isupper() for c in token[1:]):
        return True
    parts = re.split(r"[-/]", token)
    return len(parts) > 1 and any(part.isalpha() and part.isupper() for part in parts)


@dataclass(frozen=True, slots=True)
class PlaceholderStyle:
    open: str
    close: str

    def make(self, number: int) -> str:
        return f"{self.open}{number}{self.close}"

    @property
    def pattern(self) -> re.Pattern[str]:
        # Tolerate spaces the model puts inside the brackets.
        return re.compile(rf"{re.escape(self.open)}\s*(\d+)\s*{re.escape(self.close)}")

    @property
    def lenient_pattern(self) -> re.Pattern[str]:
        """Also the forms small models rewrite markers into (⟦8⟧ → [8], 【8】, [[8]])."""
        return re.compile(rf"{re.escape(self.open)}\s*(\d+)\s*{re.escape(self.close)}|\[\[?\s*(\d+)\s*\]\]?|【\s*(\d+)\s*】")


# Chosen by measurement with the 1.5B model (benchmarks/translation.py --placeholders): see docs.
PLACEHOLDER_STYLES = {
    "math": PlaceholderStyle("⟦", "⟧"),
    "square": PlaceholderStyle("[[", "]]"),
    "brace": PlaceholderStyle("{", "}"),
}
DEFAULT_STYLE = PLACEHOLDER_STYLES["math"]


@dataclass(frozen=True, slots=True)
class Span:
    kind: str   # tag, url, email, doi, pvalue, ci, range, measure, symbol (merged neighbours keep the first kind)
    raw: str    # text as found; tags appear as _TAG_SENTINEL
    tags: tuple[str, ...] = ()  # the HTML of each sentinel in ``raw``, in order

    @property
    def text(self) -> str:
        """Plain text of the span (tags removed), what QA compares."""
        return self.raw.replace(_TAG_SENTINEL, "")

    def render(self, markup: bool, keep_tags: bool = True) -> str:
        if not markup:
            return self.text
        tags = iter(self.tags)
        return "".join((next(tags) if keep_tags else "") if c == _TAG_SENTINEL else html.escape(c, quote=False) for c in self.raw)


@dataclass(slots=True)
class ProtectedText:
    """A text with markers in place of protected spans; ``spans[i]`` is marker ``i + 1``."""

    text: str
    spans: list[Span]
    markup: bool = False
    style: PlaceholderStyle = DEFAULT_STYLE
    source_counts: dict[int, int] = field(default_factory=dict)  # marker -> occurrences in ``text``

    @property
    def markers(self) -> re.Pattern[str]:
        """How markers are recognised in an answer: leniently, unless the text itself has "[3]"-like numbers
        (citations) that a lenient reading would mistake for markers."""
        plain = self.style.pattern.sub("", self.text)
        if re.search(r"\[\s*\d+\s*\]|【\s*\d+\s*】", plain):
            return self.style.pattern
        return self.style.lenient_pattern

    def _numbers(self, translated: str) -> list[tuple[re.Match[str], int]]:
        return [(m, int(next(g for g in m.groups() if g))) for m in self.markers.finditer(translated)]

    def marker_problems(self, translated: str) -> list[QAProblem]:
        """Missing, duplicated and unknown markers in the model's answer."""
        found: dict[int, int] = {}
        for _, number in self._numbers(translated):
            found[number] = found.get(number, 0) + 1
        problems = []
        for number, expected in self.source_counts.items():
            got = found.get(number, 0)
            span = self.spans[number - 1]
            shown = span.text or span.render(True)
            if got == 0:
                problems.append(problem("placeholder", "marker_dropped", source_span=shown, span=shown))
            elif got > expected:
                problems.append(problem("placeholder", "marker_repeated", source_span=shown, span=shown, count=got, expected=expected))
        for number in found.keys() - self.source_counts.keys():
            problems.append(problem("placeholder", "marker_invented", target_span=self.style.make(number), marker=self.style.make(number)))
        return problems

    def restore(self, translated: str) -> str:
        """Put the spans back. In markup mode the result is a safe HTML fragment; if any tag marker is missing or
        repeated, all tags are dropped so the fragment stays well-formed."""
        tag_counts = {n: c for n, c in self._counts(translated).items() if n <= len(self.spans) and self.spans[n - 1].tags}
        expected_tags = {n: c for n, c in self.source_counts.items() if self.spans[n - 1].tags}
        keep_tags = tag_counts == expected_tags
        out: list[str] = []
        pos = 0
        for match, number in self._numbers(translated):
            out.append(self._plain(translated[pos:match.start()]))
            if 1 <= number <= len(self.spans):
                out.append(self.spans[number - 1].render(self.markup, keep_tags))
            pos = match.end()
        out.append(self._plain(translated[pos:]))
        return "".join(out)

    def _counts(self, translated: str) -> dict[int, int]:
        counts: dict[int, int] = {}
        for _, number in self._numbers(translated):
            counts[number] = counts.get(number, 0) + 1
        return counts

    def _plain(self, piece: str) -> str:
        return html.escape(piece, quote=False) if self.markup else piece


# A structured-text label in capitals before a colon ("CONTEXT:", "DESIGN, SETTING, AND PARTICIPANTS:") is words
# to translate, not abbreviations; it may sit inside bold tags (sentinels here).
_LEADING_LABEL = re.compile(rf"^[\s{_TAG_SENTINEL}]*[A-Z][A-Z ,;&/\-]*[A-Z][\s{_TAG_SENTINEL}]*:")


def _label_match(text: str) -> re.Match[str] | None:
    match = _LEADING_LABEL.match(text)
    return match if match and sum(c.isalpha() for c in match.group()) >= 4 else None  # "MCI:" is an abbreviation


def leading_label(text: str) -> str | None:
    """The capitals label a structured paragraph starts with, without its colon: "DESIGN, SETTING, AND PARTICIPANTS"."""
    match = _label_match(text)
    return match.group().strip(f" \t\n{_TAG_SENTINEL}")[:-1].strip() if match else None


def defined_abbreviations(text: str) -> set[str]:
    """Abbreviations a text defines in parentheses: "amyloid-beta peptide (Abeta)" → {"Abeta"}, "(mTOR)",
    "(CSF/phospho-tau199)"; a word in parentheses, "(and/or)", is none."""
    return {a for a in re.findall(r"\(([A-Za-z][A-Za-z0-9\-/]{1,24})\)", text) if any(c.isupper() for c in a)}


def _find_spans(text: str, keep: Collection[str], defined: Collection[str]) -> list[tuple[int, int, str]]:
    # An abbreviation defined in parentheses, here or earlier in the document, is protected everywhere.
    defined = defined_abbreviations(text) | set(defined)
    label = _label_match(text)
    label_end = label.end() if label else 0
    # An all-capitals heading ("RESULTS", "DESIGN") is words, not abbreviations.
    protect_case_symbols = not _mostly_capitals(text[label_end:])
    candidates: list[tuple[int, int, str]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            pieces = _symbol_pieces(match) if kind == "symbol" else [(match.start(), match.end())]
            for start, end in pieces:
                token = text[start:end]
                if kind == "symbol" and (
                    not protect_case_symbols or token in keep or end <= label_end or not (is_symbol(token) or token in defined)
                ):
                    continue
                if end > start:
                    candidates.append((start, end, kind))
    # Earliest first, longest first at the same start; keep non-overlapping.
    candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
    chosen: list[tuple[int, int, str]] = []
    for start, end, kind in candidates:
        if chosen and start < chosen[-1][1]:
            continue
        chosen.append((start, end, kind))
    # Neighbours separated only by spaces become one span ("95% CI", "<i>APOE</i>"): fewer markers for the model.
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in chosen:
        if merged and text[merged[-1][1]:start].strip(" ") == "" and "\n" not in text[merged[-1][1]:start]:
            merged[-1] = (merged[-1][0], end, merged[-1][2])
        else:
            merged.append((start, end, kind))
    return merged


def _symbol_pieces(match: re.Match[str]) -> list[tuple[int, int]]:
    """The candidate symbols of a token: the whole token, or the capitalised parts of a compound that has English
    words in it ("CSF/phospho-tau199" → "CSF"), so the words are translated, "tau199" with them (its digits are
    checked as numbers), and the symbols kept."""
    parts = list(_COMPOUND_PART.finditer(match.group()))
    if not any(_WORD_PART.fullmatch(part.group()) for part in parts):
        return [match.span()]
    return [(match.start() + part.start(), match.start() + part.end()) for part in parts if not part.group().islower()]


def _mostly_capitals(text: str) -> bool:
    letters = [c for c in text if c.isalpha() and c.isascii()]
    return len(letters) >= 4 and sum(c.isupper() for c in letters) > 0.6 * len(letters)


def protect(
    text: str,
    *,
    markup: bool = False,
    style: PlaceholderStyle = DEFAULT_STYLE,
    keep: Collection[str] = (),
    defined: Collection[str] = (),
) -> ProtectedText:
    """Replace protected spans of ``text`` with markers. With ``markup=True`` ``text`` is a safe HTML fragment
    (inline tags, everything else escaped) and ``restore`` gives one back. Symbols listed in ``keep`` stay
    visible: they are glossary terms, and the glossary decides their rendering ("CSF" → 脑脊液). ``defined``:
    abbreviations the surrounding document defines, protected like symbols."""
    tags: list[str] = []
    if markup:
        plain_parts: list[str] = []
        pos = 0
        for match in _TAG.finditer(text):
            plain_parts.append(html.unescape(text[pos:match.start()]))
            plain_parts.append(_TAG_SENTINEL)
            tags.append(match.group().lower())
            pos = match.end()
        plain_parts.append(html.unescape(text[pos:]))
        plain = "".join(plain_parts)
    else:
        plain = text.replace(_TAG_SENTINEL, "")
    found = _find_spans(plain, keep, defined)

    spans: list[Span] = []
    numbers: dict[str, int] = {}
    counts: dict[int, int] = {}
    out: list[str] = []
    pos = 0
    tag_index = 0
    for start, end, kind in found:
        out.append(plain[pos:start])
        raw = plain[start:end]
        n_tags = raw.count(_TAG_SENTINEL)
        span = Span(kind, raw, tuple(tags[tag_index:tag_index + n_tags]))
        tag_index += n_tags
        # Identical plain spans share a marker; spans holding tags never do.
        number = numbers.get(raw) if not span.tags else None
        if number is None:
            spans.append(span)
            number = len(spans)
            if not span.tags:
                numbers[raw] = number
        counts[number] = counts.get(number, 0) + 1
        out.append(style.make(number))
        pos = end
    out.append(plain[pos:])
    return ProtectedText("".join(out), spans, markup, style, counts)
