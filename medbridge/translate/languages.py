"""Languages the translator accepts, with what segmentation, prompts and QA need to know about each."""

from __future__ import annotations

from dataclasses import dataclass

from medbridge.errors import MedbridgeError


class UnsupportedLanguageError(MedbridgeError):
    """A language code the translator does not know."""


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    name: str                  # English name, used in prompts ("Simplified Chinese")
    pysbd_code: str | None     # pysbd rules for sentence splitting; None = split on CJK punctuation
    latin: bool                # written in Latin script (untranslated-English detection differs)
    length_factor: float       # weighted length of a translation relative to its English source (see qa.weighted_length)
    decimal_comma: bool = False


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("en", "English", "en", True, 1.0),
        Language("zh", "Simplified Chinese", None, False, 1.0),
        # Translated as Simplified and converted with OpenCC s2twp: the model writes better Simplified.
        Language("zh-Hant", "Traditional Chinese", None, False, 1.0),
        Language("ja", "Japanese", None, False, 1.4),
        # pysbd has no Korean/Portuguese rules; both end sentences like English.
        Language("ko", "Korean", "en", False, 1.0),
        Language("es", "Spanish", "es", True, 1.15, decimal_comma=True),
        Language("fr", "French", "fr", True, 1.15, decimal_comma=True),
        Language("de", "German", "de", True, 1.15, decimal_comma=True),
        Language("pt", "Portuguese", "en", True, 1.15, decimal_comma=True),
        Language("ru", "Russian", "ru", False, 1.1, decimal_comma=True),
        Language("it", "Italian", "it", True, 1.15, decimal_comma=True),
        Language("pl", "Polish", "pl", True, 1.1, decimal_comma=True),
        Language("ar", "Arabic", "ar", False, 0.95),
    )
}

_ALIASES = {
    "zh-cn": "zh", "zh-hans": "zh", "zh-sg": "zh", "cn": "zh",
    "zh-tw": "zh-Hant", "zh-hk": "zh-Hant", "zh-hant": "zh-Hant", "zht": "zh-Hant",
}


def get_language(code: str) -> Language:
    """The language for ``code`` (case-insensitive; zh-CN/zh-Hans mean zh, zh-TW/zh-HK mean zh-Hant)."""
    key = code.strip().replace("_", "-")
    lowered = key.lower()
    canonical = _ALIASES.get(lowered, lowered)
    if canonical in LANGUAGES:
        return LANGUAGES[canonical]
    raise UnsupportedLanguageError(
        f"unsupported language {code!r}; supported: {', '.join(sorted(LANGUAGES, key=str.lower))}",
        key="unsupported_language", code=code, supported=", ".join(sorted(LANGUAGES, key=str.lower)),
    )


def is_chinese(lang: Language) -> bool:
    return lang.code in ("zh", "zh-Hant")
