"""Bilingual article pages: cached translations of a record, and on-demand translation streamed as
server-sent events (one event per finished title/section, so the reader sees progress)."""

from __future__ import annotations

import json
from typing import Annotated, Callable, Iterator, Sequence

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from medbridge.corpus.models import Record
from medbridge.corpus.pubmed import fragment_text_and_markup
from medbridge.errors import MedbridgeError, NotFoundError
from medbridge.translate import TranslatedText, Translator, get_language
from medbridge.translate.records import record_texts
from medbridge.translate.sample_titles import shipped_title
from medbridge.store import Store
from medbridge.translate.qa_messages import localise
from medbridge.web.auth import UserDep
from medbridge.web.deps import StoreDep, get_services
from medbridge.i18n import translator_for
from medbridge.web.i18n import ui_lang
from medbridge.web.templating import marked_translation

router = APIRouter()


def get_translator(request: Request) -> Translator:
    return get_services(request).translator


TranslatorDep = Annotated[Translator, Depends(get_translator)]


def cached_record_translation(translator: Translator, record: Record, target: str) -> list[TranslatedText | None]:
    """Title then abstract sections, each the cached translation or None."""
    return translator.lookup(record_texts(record), source="en", target=target, markup=True)


def translation_view(request: Request, record: Record, target: str) -> dict:
    """What the record page needs: per text the cached translation, or why there can be none."""
    t = translator_for(ui_lang(request))
    try:
        translator = get_translator(request)
        units = cached_record_translation(translator, record, target)
    except MedbridgeError as exc:  # no model installed, endpoint down: the English page still works
        units, error = [None] * len(record_texts(record)), t(exc.key, **exc.values) if exc.key else str(exc)
    else:
        error = t("no_llm") if not get_services(request).has_llm and not all(units) else None
    if units and units[0] is None and target == "zh" and (shipped := shipped_title(record.pmid, record_texts(record, abstracts=False)[0])):
        units[0] = TranslatedText(record_texts(record, abstracts=False)[0], shipped)
    return {"units": units, "error": error}


def title_translations_for(request: Request) -> Callable[[Store, Sequence[Record]], dict[int, str]]:
    """The search engine's hook for bilingual result titles: the translation cache, then the sample's shipped
    titles; never a model call."""
    target = get_services(request).settings.translation.default_target
    try:
        translator: Translator | None = get_translator(request)
    except MedbridgeError:  # no model installed: the shipped titles still show
        translator = None

    def cached_titles(store: Store, records: Sequence[Record]) -> dict[int, str]:
        titled = [(r.pmid, texts[0]) for r in records if (texts := record_texts(r, abstracts=False))]
        found = translator.lookup([title for _, title in titled], source="en", target=target, markup=True) if translator else [None] * len(titled)
        titles = {}
        for (pmid, title), unit in zip(titled, found):
            markup = unit.target if unit else shipped_title(pmid, title) if target == "zh" else None
            if markup:
                titles[pmid] = fragment_text_and_markup(markup)[0]
        return titles

    return cached_titles


def _event(data: dict) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.get("/api/records/{pmid}/translation")
def stream_translation(
    pmid: int,
    store: StoreDep,
    request: Request,
    user: UserDep,
    to: Annotated[str, Query(description="Target language code, e.g. zh, zh-Hant, ja")] = "zh",
):
    record = store.get_record(pmid)
    if record is None:
        raise NotFoundError(f"PMID {pmid} is not in the corpus", key="record_not_found", pmid=pmid)
    target = get_language(to).code  # unsupported codes fail here, as a 400 with the supported list
    texts = record_texts(record)
    lang = ui_lang(request)
    try:
        translator = get_translator(request)
        known = translator.lookup(texts, source="en", target=target, markup=True)
    except MedbridgeError as exc:
        known, failure = [], exc
    else:
        failure = None
        if None in known and get_services(request).has_llm:  # model work ahead: past the rate limit, 429 before streaming
            get_services(request).usage_limits.model_request(user)

    def events() -> Iterator[str]:
        if failure is not None:
            yield _event({"type": "error", "message": str(failure)})
            return
        pending = [i for i, unit in enumerate(known) if unit is None]
        done = len(texts) - len(pending)
        yield _event({"type": "start", "total": len(texts), "done": done})
        wanted = set(pending)
        try:
            flight = get_services(request).record_translations.follow(translator, pmid, target, texts, pending) if pending else ()
            for index, unit in flight:
                if index not in wanted:  # joined a translation started earlier: this one was cached already
                    continue
                done += 1
                yield _event({"type": "unit", "index": index, "target": str(marked_translation(unit)), "flagged": unit.flagged,
                              "problems": [localise(p, lang) for p in unit.problems if p.severity == "error"], "done": done, "total": len(texts)})
        except Exception as exc:  # the reader sees why, the page does not hang
            message = str(exc) if isinstance(exc, MedbridgeError) else f"translation failed: {exc!r}"
            yield _event({"type": "error", "message": message})
            return
        yield _event({"type": "done", "total": len(texts), "done": done})

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})
