"""The word-level measures the extractor and the verifier share (sentences come from medbridge.text)."""

from __future__ import annotations

import re
from functools import lru_cache

from medbridge.terms import Terminology
from medbridge.text import CJK, is_cjk

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'\-]*|\d+(?:\.\d+)?")
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
def count_words(text: str, terms: Terminology) -> int:
    """English words and numbers, plus Chinese words as ``terms`` segments them (jieba with the medical dictionary:
    阿尔茨海默病 is one word); punctuation is no word. Counting characters would overstate Chinese: a word runs
    1.3–1.8 of them."""
    if not is_cjk(text):
        return len(_WORD.findall(text))
    chinese = sum(1 for token in terms.segment(text) if is_cjk(token))
    return chinese + len(_WORD.findall(CJK.sub(" ", text)))
