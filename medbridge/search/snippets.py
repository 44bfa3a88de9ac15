"""Snippets: the abstract passage that best matches the searched English terms, with their spans.

Terms are matched by stem (the index's analyzer), so "biomarkers" marks "biomarker" too, and a Chinese
question highlights the English terms it was mapped to.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import tantivy

SNIPPET_CHARS = 280


@dataclass(slots=True)
class Snippet:
    text: str
    spans: list[tuple[int, int]] = field(default_factory=list)  # [start, end) of highlighted matches

    def html(self) -> str:
        """Escaped text with <mark> around matches."""
        out, cursor = [], 0
        for start, end in self.spans:
            out.append(html.escape(self.text[cursor:start]))
            out.append(f"<mark>{html.escape(self.text[start:end])}</mark>")
            cursor = end
        out.append(html.escape(self.text[cursor:]))
        return "".join(out)

    def to_dict(self) -> dict:
        return {"text": self.text, "highlights": [list(span) for span in self.spans]}


def term_patterns(terms: list[str], analyzer: tantivy.TextAnalyzer) -> list[re.Pattern[str]]:
    """One regex per term: each word as its stem followed by any word characters."""
    patterns = []
    for term in terms:
        prefix = term.endswith("*")
        words = re.findall(r"\w+", re.sub(r"['’]s\b", "", term.lower()))  # Alzheimer's ~ Alzheimer
        if not words:
            continue
        stems = [analyzer.analyze(w)[0] if analyzer.analyze(w) else w for w in words]
        if prefix:
            stems[-1] = words[-1]
        body = r"(?:['’]s)?\W+".join(_word_pattern(stem) for stem in stems)
        patterns.append(re.compile(rf"(?<!\w){body}", re.IGNORECASE))
    return patterns


def _word_pattern(stem: str) -> str:
    """A stem matches its inflections; a short one (an acronym like AD) only itself or its plural,
    so "AD" does not light up "adults"."""
    return re.escape(stem) + (r"\w*" if len(stem) >= 4 else r"s?(?!\w)")


def _matches(text: str, patterns: list[re.Pattern[str]]) -> list[tuple[int, int, int]]:
    """Non-overlapping (start, end, pattern index), earliest and then longest first."""
    found = sorted(
        ((m.start(), m.end(), i) for i, p in enumerate(patterns) for m in p.finditer(text)),
        key=lambda item: (item[0], -(item[1] - item[0])),
    )
    kept: list[tuple[int, int, int]] = []
    for item in found:
        if not kept or item[0] >= kept[-1][1]:
            kept.append(item)
    return kept


def make_snippet(text: str, patterns: list[re.Pattern[str]], width: int = SNIPPET_CHARS) -> Snippet:
    """The window of sentences covering the most distinct terms (the opening when nothing matches)."""
    if not text:
        return Snippet("")
    sentences = [(m.start(), m.end()) for m in re.finditer(r".+?(?:$|(?<=[.!?;])\s+(?=[A-Z0-9(\[]))", text, re.S)]
    matches = _matches(text, patterns)
    best_start, best_score = 0, -1
    for start, _ in sentences:
        window = [m for m in matches if start <= m[0] < start + width]
        score = len({m[2] for m in window}) * 10 + len(window)
        if score > best_score:
            best_start, best_score = start, score
    end = min(len(text), best_start + width)
    if end < len(text):
        space = text.rfind(" ", best_start, end)
        end = space if space > best_start else end
    raw = text[best_start:end]
    piece = raw.strip()
    piece_start = best_start + len(raw) - len(raw.lstrip())
    piece_end = piece_start + len(piece)
    lead = "… " if piece_start > 0 else ""
    tail = " …" if piece_end < len(text) else ""
    shift = len(lead) - piece_start
    spans = [(s + shift, e + shift) for s, e, _ in matches if piece_start <= s and e <= piece_end]
    return Snippet(lead + piece + tail, spans)


def highlight(text: str, patterns: list[re.Pattern[str]]) -> Snippet:
    """Whole ``text`` (a title) with every match marked."""
    return Snippet(text, [(s, e) for s, e, _ in _matches(text, patterns)])
