"""What stays untranslated, and how styled runs travel through a translator as light markup."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from medbridge.documents.ir import Run

URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
DOI = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?10\.\d{4,9}/\S+$", re.IGNORECASE)
NUMBERS = re.compile(r"^[\s\d.,;:%±+\-–—−/()\[\]<>=×x*°]+$")
CODE = re.compile(r"[{};]\s*$|^\s*(?:def |class |import |from \S+ import|#include|for\s*\(|if\s*\(|return\b)|==|!=|->|::")
MATH_CHARS = set("=+−-×÷±∑∏∫√∞≈≠≤≥∂∆∇αβγδεζηθλμνξπρστφχψωΩΣΠΔΓΛΦΨ^_()[]{}|/·∈∉⊂⊃∪∩→←↔⇒⇔′″")
MATH_FONT = re.compile(r"CMMI|CMSY|CMEX|MSBM|Symbol|Math|STIX|Cambria Math", re.IGNORECASE)
LETTERS = re.compile(r"[^\W\d_]")

STYLE_TAGS = ("b", "i", "sup", "sub")  # order of Run.style


def skip_reason(text: str, fonts: tuple[str, ...] = ()) -> str | None:
    """Why a block must be left exactly as it is, or None when it should be translated."""
    stripped = text.strip()
    if not stripped:
        return "empty"
    if URL.match(stripped):
        return "url"
    if DOI.match(stripped):
        return "doi"
    if NUMBERS.match(stripped):
        return "number"
    letters = LETTERS.findall(stripped)
    if fonts and all(MATH_FONT.search(font) for font in fonts):
        return "formula"
    if _looks_like_formula(stripped, len(letters)):
        return "formula"
    if "\n" not in stripped and CODE.search(stripped) and len(stripped.split()) < 12:
        return "code"
    if len(letters) < 2:
        return "number"
    return None


def _looks_like_formula(text: str, letter_count: int) -> bool:
    """Equations are short, symbol-dense and made of single-letter variables rather than words."""
    words = re.findall(r"[^\W\d_]{3,}", text)
    math = sum(1 for char in text if char in MATH_CHARS)
    if math == 0 or len(text) > 200:
        return False
    has_relation = any(sym in text for sym in "=≈≤≥<>∝")
    return has_relation and (len(words) <= 1 or math >= letter_count)


def runs_to_markup(runs: list[Run]) -> str:
    """Plain text when the block has one style (most blocks), else text with <b>/<i>/<sup>/<sub> tags."""
    styles = {run.style for run in runs if run.text.strip()}
    if len(styles) <= 1:
        return "".join(run.text for run in runs)
    pieces: list[str] = []
    for run in runs:
        text = html.escape(run.text, quote=False)
        for tag, on in zip(STYLE_TAGS, run.style):
            if on:
                text = f"<{tag}>{text}</{tag}>"
        pieces.append(text)
    return "".join(pieces)


def uses_markup(runs: list[Run]) -> bool:
    return len({run.style for run in runs if run.text.strip()}) > 1


def markup_to_runs(markup: str) -> list[Run]:
    """Parse a translation back into runs; unknown tags are dropped, unbalanced ones end with the text."""
    parser = _RunParser()
    parser.feed(markup)
    parser.close()
    return [run for run in parser.runs if run.text] or [Run("")]


class _RunParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: dict[str, int] = {tag: 0 for tag in STYLE_TAGS}
        self.runs: list[Run] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.open:
            self.open[tag] += 1

    def handle_endtag(self, tag: str) -> None:
        if self.open.get(tag):
            self.open[tag] -= 1

    def handle_data(self, data: str) -> None:
        self.runs.append(Run(data, *(bool(self.open[tag]) for tag in STYLE_TAGS)))


def translated_runs(block_runs: list[Run], translation: str) -> list[Run]:
    """The runs to write for a translated block: styled from markup, or one run in the block's own style."""
    if uses_markup(block_runs):
        return markup_to_runs(translation)
    base = next((run for run in block_runs if run.text.strip()), block_runs[0] if block_runs else Run(""))
    return [Run(translation, *base.style)]
