"""The string table (medbridge/i18n.py) as a request sees it: the UI language from ``?lang=`` or the cookie."""

from __future__ import annotations

from fastapi import Request

from medbridge.i18n import LANGS, translator_for


def ui_lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
    return lang if lang in LANGS else "zh"


def strings_for(request: Request, namespace: str):
    """A page's strings, in the language of this request."""
    return translator_for(ui_lang(request), namespace)
