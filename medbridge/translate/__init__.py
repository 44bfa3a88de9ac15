"""Translation: segmentation, span protection, glossary-guided prompting, QA and caching over any LLM.

    translator = Services.from_settings(settings).translator     # the configured model, the store's cache
    [result] = translator.translate_batch(["Ketamine ..."], source="en", target="zh")
"""

from medbridge.translate.base import QAProblem, TextTranslator, TranslatedText
from medbridge.translate.languages import LANGUAGES, Language, UnsupportedLanguageError, get_language
from medbridge.translate.qa import DEFAULT_CHECKS, QACheck, QAContext, qa_report, run_checks
from medbridge.translate.translator import CACHE_NAMESPACE, Translator

__all__ = [
    "CACHE_NAMESPACE",
    "DEFAULT_CHECKS",
    "LANGUAGES",
    "Language",
    "QACheck",
    "QAContext",
    "QAProblem",
    "TextTranslator",
    "TranslatedText",
    "Translator",
    "UnsupportedLanguageError",
    "get_language",
    "qa_report",
    "run_checks",
]
