"""Sentence segmentation: pysbd rules for alphabetic languages, sentence punctuation for Chinese/Japanese.

Pieces keep their surrounding whitespace, so ``"".join(split_sentences(text, lang)) == text``: callers can
cut a long text into chunks and put the translations back together without guessing separators.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import pysbd

from medbridge.translate.languages import Language, get_language

# A sentence ends at 。！？ (optionally ；) plus any closing quotes/brackets that follow it.
_CJK_END = re.compile(r"(?<=[。！？!?])(?![”’」』）)\]])|(?<=[。！？!?][”’」』）)\]])")
_CJK_END_WITH_CLAUSES = re.compile(r"(?<=[。！？!?；])(?![”’」』）)\]])|(?<=[。！？!?；][”’」』）)\]])")


@lru_cache(maxsize=16)
def _segmenter(code: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=code, clean=False)


def split_sentences(text: str, lang: Language | str, *, clause_marks: bool = True) -> list[str]:
    """Sentences of ``text`` in order, whitespace kept; empty pieces dropped.

    ``clause_marks``: also end Chinese/Japanese sentences at '；' (what the translator chunks on); QA alignment
    turns it off because English keeps such clauses in one sentence.
    """
    language = get_language(lang) if isinstance(lang, str) else lang
    if not text.strip():
        return [text] if text else []
    if language.pysbd_code is None:
        pattern = _CJK_END_WITH_CLAUSES if clause_marks else _CJK_END
        pieces = pattern.split(text)
    else:
        pieces = _segmenter(language.pysbd_code).segment(text)
        if "".join(pieces) != text:  # pysbd occasionally normalises whitespace; fall back to offsets
            pieces = _realign(text, pieces)
    return [p for p in pieces if p]


def _realign(text: str, pieces: list[str]) -> list[str]:
    """Cut ``text`` where pysbd's (whitespace-altered) pieces end, so the pieces cover ``text`` exactly."""
    cuts: list[int] = []
    pos = 0
    for piece in pieces:
        core = piece.strip()
        found = text.find(core, pos) if core else -1
        if found < 0:
            continue
        pos = found + len(core)
        cuts.append(pos)
    result: list[str] = []
    start = 0
    for cut in cuts[:-1]:
        end = cut
        while end < len(text) and text[end].isspace():
            end += 1
        result.append(text[start:end])
        start = end
    result.append(text[start:])
    return result


_MARKUP_PIECE = re.compile(r"(<[^>]*>)|(&#?\w+;)|([^<&]+|[<&])")


def split_markup_sentences(fragment: str, lang: Language | str) -> list[str]:
    """Sentences of an HTML fragment with inline tags, cut only where no tag is open, so every piece is a
    well-formed fragment; ``"".join(pieces) == fragment``."""
    plain: list[str] = []
    ends: list[tuple[int, int]] = []  # per plain character: (fragment offset after it, tags open there)
    depth = 0
    for match in _MARKUP_PIECE.finditer(fragment):
        tag, entity, text = match.groups()
        if tag:
            depth += -1 if tag.startswith("</") else (0 if tag.endswith("/>") else 1)
        elif entity:
            plain.append(html.unescape(entity))
            ends.extend([(match.end(), depth)] * len(plain[-1]))
        else:
            plain.append(text)
            ends.extend((match.start() + i + 1, depth) for i in range(len(text)))
    cuts: list[int] = []
    position = 0
    for sentence in split_sentences("".join(plain), lang)[:-1]:
        position += len(sentence)
        cut, open_tags = ends[position - 1]
        if open_tags == 0:
            cuts.append(cut)
    return [fragment[a:b] for a, b in zip([0, *cuts], [*cuts, len(fragment)]) if a < b]
