"""Sentence segmentation of HTML fragments with inline tags, on the shared splitter (medbridge.text).

Pieces keep their surrounding whitespace, so ``"".join(split_markup_sentences(fragment, lang)) == fragment``:
callers can cut a long text into chunks and put the translations back together without guessing separators.
"""

from __future__ import annotations

import html
import re

from medbridge.text import split_sentences
from medbridge.translate.languages import Language

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
