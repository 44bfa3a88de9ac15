"""Jinja2 environment: autoescaping everywhere; record markup fields are pre-sanitised by the parser."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
import html

from markupsafe import Markup

from medbridge.corpus.pubmed import sanitize_inline_markup
from medbridge.translate.base import TranslatedText
from medbridge.translate.qa_messages import localise
from medbridge.i18n import named, translator_for
from medbridge.web.i18n import ui_lang

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Title/abstract markup is built by medbridge.corpus.pubmed.text_and_markup: all text escaped,
# only <i> <b> <u> <sup> <sub> without attributes kept — safe to emit as is.
templates.env.filters["record_markup"] = Markup
# Model output is not trusted: reduce it to the same safe subset before emitting.
templates.env.filters["translation_markup"] = lambda fragment: Markup(sanitize_inline_markup(fragment or ""))


def marked_translation(unit: TranslatedText | None) -> Markup:
    """A translation as safe markup, each sentence an error was found in marked (<mark class="qa-fault">), so the
    reader sees which sentence not to trust."""
    if unit is None:
        return Markup("")
    fragment = sanitize_inline_markup(unit.target or "")
    for sentence in dict.fromkeys(p.target_sentence for p in unit.problems if p.severity == "error" and p.target_sentence):
        escaped = html.escape(sentence, quote=False)
        if escaped in fragment:  # a sentence cut by inline tags stays unmarked; the list below still names it
            fragment = fragment.replace(escaped, f'<mark class="qa-fault">{escaped}</mark>', 1)
    return Markup(fragment)


templates.env.filters["marked_translation"] = marked_translation
templates.env.filters["qa_message"] = localise


def csrf_field(request: Request) -> Markup:
    """The hidden CSRF field every POST form carries (empty without sessions, in single-user mode)."""
    from medbridge.web.auth import CSRF_FIELD, csrf_token

    token = csrf_token(request)
    return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{html.escape(token)}">') if token else Markup("")


def render(request: Request, name: str, context: dict | None = None, status_code: int = 200):
    lang = ui_lang(request)
    other = "en" if lang == "zh" else "zh"
    switch_url = "?" + urlencode([*((k, v) for k, v in request.query_params.multi_items() if k != "lang"), ("lang", other)])
    response = templates.TemplateResponse(
        request, name, {"lang": lang, "t": translator_for(lang), "named": lambda kind, value: named(lang, kind, value),
                            "switch_url": switch_url, "csrf_field": csrf_field(request),
                            "user": getattr(request.state, "user", None), **(context or {})},
        status_code=status_code,
    )
    if request.query_params.get("lang") == lang:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax")
    return response
