"""Text helpers every capability shares: CJK detection, language guess, sentence split, Chinese numerals.

One range set for CJK scripts and one regex over it; one language guess with one threshold; one sentence
splitter; one reader of Chinese numerals. Search, translation, QA, documents and research all use these.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # pysbd and the language table load only when a text is split
    import pysbd

    from medbridge.translate.languages import Language

# Han ideographs (extension A, unified, compatibility), Japanese kana, Korean Hangul syllables.
# Punctuation (。，、) is deliberately not in the set: it is no word and no letter.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
KANA = "\u3040-\u30ff"
HANGUL = "\uac00-\ud7af"
CJK_RANGES = HAN + KANA + HANGUL
CJK = re.compile(f"[{CJK_RANGES}]")
CJK_RUN = re.compile(f"[{CJK_RANGES}]+")
CJK_PUNCTUATION = "\u3000-\u303f"  # 。、「」《》: full-width, so they weigh like the characters around them

# One CJK character carries about as much as 3.3 English letters (measured on the reference translations).
CJK_WEIGHT = 3.3
_WIDE = re.compile(f"[{CJK_RANGES}{CJK_PUNCTUATION}]")
# A text is Chinese when its CJK characters, so weighted, make at least this share of its letters: a mostly
# English abstract quoting one Chinese word stays English, a question mixing 阿尔茨海默病 with "CSF" is Chinese.
ZH_SHARE = 0.1

GuessedLanguage = Literal["zh", "en"]


def is_cjk(text: str) -> bool:
    """True when ``text`` holds at least one CJK character."""
    return CJK.search(text) is not None


def guess_language(text: str) -> GuessedLanguage:
    """zh or en: zh when CJK characters (each weighted like ``CJK_WEIGHT`` letters) make ``ZH_SHARE`` of the letters."""
    cjk = len(CJK.findall(text))
    if not cjk:
        return "en"
    other_letters = sum(1 for c in text if c.isalpha()) - cjk
    weighted = cjk * CJK_WEIGHT
    return "zh" if weighted >= ZH_SHARE * (weighted + other_letters) else "en"


def weighted_length(text: str) -> float:
    """Length in English-letter equivalents (whitespace not counted): comparable across scripts."""
    return sum(CJK_WEIGHT if _WIDE.match(c) else 1.0 for c in text if not c.isspace())


# --- sentences -----------------------------------------------------------------------------------------
# A CJK sentence ends at 。！？ (optionally ；) plus any closing quotes/brackets that follow it.
_CJK_END = re.compile(r"(?<=[。！？!?])(?![”’」』）)\]])|(?<=[。！？!?][”’」』）)\]])")
_CJK_END_WITH_CLAUSES = re.compile(r"(?<=[。！？!?；])(?![”’」』）)\]])|(?<=[。！？!?；][”’」』）)\]])")


@lru_cache(maxsize=16)  # one rule set per language; pysbd builds its rules on construction
def _segmenter(code: str) -> pysbd.Segmenter:
    import pysbd  # rule-based, keeps abbreviations like "et al." and "vs." inside sentences

    return pysbd.Segmenter(language=code, clean=False)


def split_sentences(text: str, lang: Language | str = "en", *, clause_marks: bool = True) -> list[str]:
    """Sentences of ``text`` in order, whitespace kept, so ``"".join(split_sentences(text, lang)) == text``;
    empty pieces dropped. Alphabetic languages follow pysbd's rules, except that a piece starting with a digit
    or a lower-case letter continues the previous sentence (pysbd cuts "AD 3.5%" after "3."); Chinese and
    Japanese end sentences at 。！？ and, with ``clause_marks``, at ；(what the translator chunks on; QA
    alignment turns it off because English keeps such clauses in one sentence)."""
    from medbridge.translate.languages import get_language

    language = get_language(lang) if isinstance(lang, str) else lang
    if not text.strip():
        return [text] if text else []
    if language.pysbd_code is None:
        pattern = _CJK_END_WITH_CLAUSES if clause_marks else _CJK_END
        return [p for p in pattern.split(text) if p]
    pieces = _segmenter(language.pysbd_code).segment(text)
    if "".join(pieces) != text:  # pysbd occasionally normalises whitespace; fall back to offsets
        pieces = _realign(text, pieces)
    merged: list[str] = []
    for piece in pieces:
        head = piece.lstrip()[:1]
        if merged and (head.isdigit() or head.islower()):
            merged[-1] += piece
        elif piece:
            merged.append(piece)
    return merged


def sentence_texts(text: str, lang: Language | str = "en", *, clause_marks: bool = True) -> list[str]:
    """The sentences of ``text`` without their surrounding whitespace, blank ones dropped."""
    return [s.strip() for s in split_sentences(text, lang, clause_marks=clause_marks) if s.strip()]


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


# --- Chinese numerals ----------------------------------------------------------------------------------
ZH_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
ZH_NUMERAL = re.compile(r"[〇零一二两三四五六七八九十百]+")


def zh_numeral_value(word: str) -> int | None:
    """一 → 1, 十 → 10, 十二 → 12, 二十三 → 23, 三百 → 300; None when not a simple numeral."""
    if "百" in word:
        head, _, rest = word.partition("百")
        hundreds = ZH_DIGITS.get(head, 1 if head == "" else -1)
        tail = zh_numeral_value(rest) if rest else 0
        return None if hundreds < 0 or tail is None else hundreds * 100 + tail
    if "十" in word:
        tens_part, _, ones_part = word.partition("十")
        tens = ZH_DIGITS.get(tens_part, 1 if tens_part == "" else -1)
        ones = ZH_DIGITS.get(ones_part, 0 if ones_part == "" else -1)
        return None if tens < 0 or ones < 0 else tens * 10 + ones
    return ZH_DIGITS.get(word) if len(word) == 1 else None
