"""Search conversations: the /chat page (forms, works without JavaScript), its JSON API, and the streamed,
verified answer over the top records."""

from __future__ import annotations

import json
from typing import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, StreamingResponse
from pydantic import BaseModel, Field

from medbridge.corpus.models import Record
from medbridge.corpus.pubmed import fragment_text_and_markup
from medbridge.accounts import Principal
from medbridge.errors import MedbridgeError, NotFoundError
from medbridge.research.vectors import SentenceEmbeddings
from medbridge.research.verify import Verifier
from medbridge.search import open_conversations
from medbridge.search.answer import answer_sentences
from medbridge.search.conversation import Conversations, TurnResult
from medbridge.services import Services
from medbridge.web.auth import UserDep
from medbridge.web.deps import ServicesDep
from medbridge.i18n import few_results_notice
from medbridge.web.i18n import strings_for, ui_lang
from medbridge.web.routes.translations import cached_record_translation, get_translator, title_translations_for
from medbridge.web.templating import render

router = APIRouter()


class MessageIn(BaseModel):
    text: str | None = Field(None, description="A turn: a question or a follow-up.")
    remove_chip: str | None = Field(None, description="The value of a chip to remove, e.g. 'type:Review'.")
    undo: bool = False
    lang: str | None = Field(None, description="Language of replies to chip removal and undo (zh or en).")


def _conversations(request: Request, services: Services) -> Conversations:
    def abstract_translations(record: Record) -> list[str | None]:
        try:
            units = cached_record_translation(get_translator(request), record, "zh")
        except MedbridgeError:
            return []
        return [fragment_text_and_markup(unit.target)[0] if unit else None for unit in units]

    return open_conversations(services.search_engine, title_translations=title_translations_for(request),
                              abstract_translations=abstract_translations)


def _own(conversations: Conversations, conversation_id: str, user: Principal):
    """The conversation if it is the user's (or the user is an administrator); otherwise it does not exist."""
    if not user.sees(conversations.store.conversation_owner(conversation_id)):
        raise NotFoundError(f"no conversation {conversation_id}")
    return conversations.get(conversation_id)


def _apply(conversations: Conversations, conversation_id: str | None, message: MessageIn, lang: str, user: Principal) -> TurnResult:
    conversation = _own(conversations, conversation_id, user) if conversation_id else conversations.start(user.owner)
    if message.undo:
        return conversations.undo(conversation, message.lang or lang)
    if message.remove_chip:
        return conversations.remove_chip(conversation, message.remove_chip, message.lang or lang)
    if message.text and message.text.strip():
        return conversations.say(conversation, message.text)
    if conversation_id is None:
        return conversations.results(conversation)
    raise MedbridgeError("a message needs text, remove_chip or undo")


# -- JSON API ---------------------------------------------------------------------------------------
@router.post("/api/conversations")
def create_conversation(request: Request, services: ServicesDep, user: UserDep, message: MessageIn | None = None) -> dict:
    """A new conversation; with ``text``, its first turn."""
    return _apply(_conversations(request, services), None, message or MessageIn(), ui_lang(request), user).to_dict()


@router.get("/api/conversations")
def list_conversations(services: ServicesDep, user: UserDep, limit: int = 50) -> list[dict]:
    """The user's conversations (an administrator's: everyone's), most recently active first."""
    return [{"id": c.id, "question": c.question, "owner": c.owner, "updated_at": c.updated_at}
            for c in services.store.list_conversations(user.list_owner, limit)]


@router.post("/api/conversations/{conversation_id}/messages")
def post_message(conversation_id: str, message: MessageIn, request: Request, services: ServicesDep, user: UserDep) -> dict:
    return _apply(_conversations(request, services), conversation_id, message, ui_lang(request), user).to_dict()


@router.get("/api/conversations/{conversation_id}")
def get_conversation(conversation_id: str, request: Request, services: ServicesDep, user: UserDep) -> dict:
    conversations = _conversations(request, services)
    conversation = _own(conversations, conversation_id, user)
    current = conversations.results(conversation).to_dict(ui_lang(request))
    return {**current, "turns": [{"text": t.text, "reply": t.reply, "language": t.language, "query": t.state.query, "summary": t.summary}
                                 for t in conversation.turns]}


@router.get("/api/conversations/{conversation_id}/answer")
def stream_answer(conversation_id: str, request: Request, services: ServicesDep, user: UserDep) -> StreamingResponse:
    """Server-sent events: one per verified answer sentence, then ``done`` (with the removed count)."""
    conversations = _conversations(request, services)
    conversation = _own(conversations, conversation_id, user)
    if services.has_llm:
        services.usage_limits.model_request(user)
    result = conversations.results(conversation)
    lang = conversation.turns[0].language if conversation.turns else ui_lang(request)
    records = services.store.get_records(h.pmid for h in result.hits)

    def events() -> Iterator[str]:
        try:
            if not services.has_llm:
                yield _event({"type": "unavailable"})
                return
            stream = answer_sentences(services.llm, conversation.question, lang, [records[h.pmid] for h in result.hits if h.pmid in records],
                                      result.recommendations, verifier=Verifier(services.terminology, SentenceEmbeddings(services.embedder)),
                                      translator=get_translator(request) if lang == "zh" else None)
            for event in stream:
                yield _event(event)
        except MedbridgeError as exc:
            yield _event({"type": "error", "message": str(exc)})

    return StreamingResponse(events(), media_type="text/event-stream")


def _event(data: dict) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


# -- the page ---------------------------------------------------------------------------------------
@router.get("/chat")
def chat_page(request: Request):
    return render(request, "chat/chat.html", {"s": strings_for(request, "chat"), "result": None, "conversation": None})


@router.get("/chat/{conversation_id}")
def chat_thread(conversation_id: str, request: Request, services: ServicesDep, user: UserDep):
    conversations = _conversations(request, services)
    conversation = _own(conversations, conversation_id, user)
    result = conversations.results(conversation)
    search_strings = strings_for(request, "search")
    return render(request, "chat/chat.html", {
        "s": strings_for(request, "chat"),
        "ss": search_strings,  # a short set is told as on the search page
        "conversation": conversation,
        "result": result,
        "view": result.to_dict(ui_lang(request)),
        "notice": few_results_notice(search_strings, result.search) if result.search else None,
        "answer_available": services.has_llm,
    })


@router.post("/chat")
async def chat_form(request: Request, services: ServicesDep, user: UserDep):
    return await _form(request, services, user, None)


@router.post("/chat/{conversation_id}")
async def chat_form_turn(conversation_id: str, request: Request, services: ServicesDep, user: UserDep):
    return await _form(request, services, user, conversation_id)


async def _form(request: Request, services: Services, user: Principal, conversation_id: str | None):
    form = await request.form()
    lang = ui_lang(request)
    message = MessageIn(text=str(form.get("text") or "") or None, remove_chip=str(form.get("remove") or "") or None,
                        undo=bool(form.get("undo")), lang=lang)
    if conversation_id is None and not message.text:
        return RedirectResponse("/chat", status_code=303)
    result = _apply(_conversations(request, services), conversation_id, message, lang, user)
    return RedirectResponse(f"/chat/{result.conversation.id}", status_code=303)
