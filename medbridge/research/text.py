"""Sentence splitting and the word-level measures the extractor and the verifier share."""

from __future__ import annotations

import re
from functools import lru_cache

from medbridge.terms import get_terminology

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'\-]*|\d+(?:\.\d+)?")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Numbers as written in results: 0.82, 95%, 1,234, 3.5-fold; years and citation markers excluded by callers.
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?![\w])")
_STOP = frozenset(
    """a an the of in on at to for from by with without and or not no nor is are was were be been being do does did
    has have had this that these those it its as into than then there their them they we our us which who whom whose
    what when where while how why all any both each more most other some such only own same so too very can could
    should would may might will shall also between among during after before about over under further however thus
    therefore here whether either neither one two three per via using used use based within across although though
    reported found showed shows show study studies results result data patients participants subjects""".split()
)


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd  # rule-based, keeps abbreviations like "et al." and "vs." inside sentences

    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text``, each a verbatim substring (surrounding whitespace trimmed). A piece that starts
    with a digit or a lower-case letter continues the previous sentence (pysbd cuts "AD 3.5%" after "3.")."""
    if not text.strip():
        return []
    bounds: list[list[int]] = []
    for span in _segmenter().segment(text):
        piece = text[span.start : span.end].strip()
        if not piece:
            continue
        if bounds and (piece[0].isdigit() or piece[0].islower()):
            bounds[-1][1] = span.end
        else:
            bounds.append([span.start, span.end])
    return [text[start:end].strip() for start, end in bounds]


def stem(word: str) -> str:
    """A crude English stem: enough to match 'biomarkers' with 'biomarker' and 'predicted' with 'predicts'."""
    word = word.lower()
    for suffix in ("ies", "ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def content_words(text: str) -> set[str]:
    return {stem(w) for w in _WORD.findall(text) if w.lower() not in _STOP and not w[0].isdigit() and len(w) > 1}


def numbers(text: str) -> set[str]:
    """Numbers stated in ``text`` (thousands separators removed)."""
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


@lru_cache(maxsize=8192)  # a review is measured again after every trimming step, mostly the same sentences
def count_words(text: str) -> int:
    """English words and numbers, plus Chinese words as jieba cuts them with the medical dictionary (阿尔茨海默病
    is one word); punctuation is no word. Counting characters would overstate Chinese: a word runs 1.3–1.8 of them."""
    if not is_cjk(text):
        return len(_WORD.findall(text))
    chinese = sum(1 for token in get_terminology().segment(text) if is_cjk(token))
    return chinese + len(_WORD.findall(_CJK.sub(" ", text)))


def is_cjk(text: str) -> bool:
    return bool(_CJK.search(text))
