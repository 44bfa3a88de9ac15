"""Text keys and tokenisation shared by glossary lookup and term finding.

English keys are case-folded word tuples, so "Alzheimer-disease", "alzheimer  disease" and
"Alzheimer Disease" meet. Acronyms ("AD", "CSF") are matched case-sensitively inside running text,
because their lower-case forms are ordinary words ("ad hoc").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_]+")
# What may stand between two words of one term in running text: spaces, one hyphen or apostrophe.
_JOINABLE_GAP = re.compile(r"\s*[-\u2010\u2011'\u2019]?\s*")
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def to_half_width(text: str) -> str:
    """Full-width ASCII forms (ＡＢＣ，１２３) → ASCII; one character for one, so offsets survive."""
    return text.translate(_FULL_WIDTH)


def en_words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.replace("\u2019", "'")))


def en_key(text: str) -> tuple[str, ...]:
    return tuple(word.casefold() for word in en_words(text))


def is_acronym(text: str) -> bool:
    """ "AD", "MCI", "T2DM": no lower-case letter and at least two capitals."""
    return not any(c.islower() for c in text) and sum(c.isupper() for c in text) >= 2


def plural_forms(word: str) -> tuple[str, ...]:
    """Regular English plurals of a (lower-case) noun; enough for glossary heads like plaque/artery/mass."""
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return (word[:-1] + "ies",)
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return (word + "es",)
    return (word + "s",)


def singular_candidates(word: str) -> tuple[str, ...]:
    """Inverse of plural_forms, for lookups of a plural the glossary holds in the singular."""
    candidates = []
    if word.endswith("ies") and len(word) > 4:
        candidates.append(word[:-3] + "y")
    if word.endswith("es") and len(word) > 3:
        candidates.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss") and len(word) > 2:
        candidates.append(word[:-1])
    return tuple(candidates)


@dataclass(slots=True, frozen=True)
class EnToken:
    text: str
    start: int
    end: int


def en_tokens(text: str) -> list[EnToken]:
    return [EnToken(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def joinable_runs(text: str, tokens: list[EnToken]) -> Iterator[int]:
    """For each token i, how many tokens from i on may belong to one term (no sentence punctuation between)."""
    run_ends = [0] * len(tokens)
    end = len(tokens)
    for i in range(len(tokens) - 1, -1, -1):
        if i + 1 < len(tokens) and not _JOINABLE_GAP.fullmatch(text, tokens[i].end, tokens[i + 1].start):
            end = i + 1
        run_ends[i] = end
    return (run_end - i for i, run_end in enumerate(run_ends))
