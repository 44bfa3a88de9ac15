"""How much of a text is written in the target language's script (the 'target-language share' measure).

Which languages exist is the translator's business (medbridge.translate.languages); this adds their scripts.
"""

from __future__ import annotations

import re

from medbridge.text import HAN, HANGUL, KANA
from medbridge.translate.languages import LANGUAGES

_LATIN = "A-Za-z\u00c0-\u024f\u1e00-\u1eff"
_NON_LATIN_SCRIPTS = {
    "zh": f"[{HAN}]",
    "zh-Hant": f"[{HAN}]",
    "ja": f"[{HAN}{KANA}]",
    "ko": f"[{HANGUL}\u1100-\u11ff{HAN}]",
    "ru": "[\u0400-\u04ff]",
    "ar": "[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]",
}
SCRIPTS: dict[str, re.Pattern[str]] = {
    code: re.compile(_NON_LATIN_SCRIPTS.get(code, f"[{_LATIN}]")) for code in LANGUAGES
}
_LETTER = re.compile(r"[^\W\d_]")


def target_share(text: str, target: str) -> float:
    """Share of letters written in the target's script (1.0 for a text without letters)."""
    letters = _LETTER.findall(text)
    if not letters:
        return 1.0
    script = SCRIPTS[target]
    return sum(1 for char in letters if script.match(char)) / len(letters)


def same_script(source: str, target: str) -> bool:
    return SCRIPTS.get(source, SCRIPTS["en"]).pattern == SCRIPTS[target].pattern
