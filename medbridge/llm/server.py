"""``medbridge model-server``: the embedded model behind an OpenAI-compatible HTTP API on loopback, so the
processes of a department set-up (web workers, job workers) share one copy of the GGUF through the ``openai``
backend instead of loading one each.

Requests from every client are decoded together: a request arriving while a batch runs joins it as soon as one
of the batch's requests finishes (``LLM.complete_many``'s follow-ups), so N clients cost about what one batch
of N costs. Streams (``"stream": true``) run one at a time between batches.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Iterator, Literal, Optional

from fastapi import FastAPI
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel

from medbridge.llm.base import LLM, ChatMessage, ChatRequest, LLMError


@dataclass(slots=True)
class _Waiting:
    request: ChatRequest
    options: tuple[float | None, tuple[str, ...]]  # (temperature, stop): requests decoded together share them
    reply: Future[str]


class BatchingLLM:
    """Completions of many concurrent callers, run through one model in shared batches."""

    def __init__(self, llm: LLM):
        self.llm = llm
        self._lock = threading.Lock()
        self._waiting: deque[_Waiting] = deque()
        self._running = False
        self.batches = 0  # complete_many runs so far: far fewer than requests when clients overlap

    def complete(self, request: ChatRequest, temperature: float | None, stop: tuple[str, ...]) -> str:
        waiting = _Waiting(request, (temperature, stop), Future())
        with self._lock:
            self._waiting.append(waiting)
            start = not self._running
            self._running = True
        if start:
            threading.Thread(target=self._run_batches, name="model-batches", daemon=True).start()
        return waiting.reply.result()

    def _take(self, options: tuple[float | None, tuple[str, ...]] | None) -> list[_Waiting]:
        """Waiting requests with these options (the first one's when None); the caller holds the lock."""
        if options is None and self._waiting:
            options = self._waiting[0].options
        taken = [w for w in self._waiting if w.options == options]
        for w in taken:
            self._waiting.remove(w)
        return taken

    def _run_batches(self) -> None:
        while True:
            with self._lock:
                batch = self._take(None)
                if not batch:
                    self._running = False
                    return
            temperature, stop = batch[0].options
            self.batches += 1

            def on_done(index: int, reply: str) -> list[ChatRequest]:
                batch[index].reply.set_result(reply)
                with self._lock:  # newcomers with the same options join the running batch
                    joining = self._take(batch[0].options)
                batch.extend(joining)
                return [w.request for w in joining]

            try:
                self.llm.complete_many([w.request for w in batch], temperature=temperature, stop=list(stop) or None,
                                       on_done=on_done)
            except Exception as exc:  # every caller still waiting hears why
                for w in batch:
                    if not w.reply.done():
                        w.reply.set_exception(exc)


class _Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class ChatCompletionBody(BaseModel):
    model: str = "default"
    messages: list[_Message]
    max_tokens: Optional[int] = None
    temperature: Optional[float] = None
    stop: Optional[list[str] | str] = None
    stream: bool = False


def create_model_app(llm: LLM) -> FastAPI:
    """The OpenAI-compatible app over ``llm`` (``/v1/chat/completions``, ``/v1/models``)."""
    app = FastAPI(title="medbridge model server")
    batching = app.state.batching = BatchingLLM(llm)

    @app.get("/v1/models")
    def models() -> dict:
        return {"object": "list", "data": [{"id": llm.model_id, "object": "model", "owned_by": "medbridge"}]}

    @app.post("/v1/chat/completions")
    def chat_completions(body: ChatCompletionBody):
        messages = [ChatMessage(m.role, m.content) for m in body.messages]
        stop = tuple([body.stop] if isinstance(body.stop, str) else body.stop or ())
        completion_id, created = f"chatcmpl-{uuid.uuid4().hex[:12]}", int(time.time())
        if body.stream:
            return StreamingResponse(_chunks(llm, messages, body, stop, completion_id, created), media_type="text/event-stream")
        try:
            reply = batching.complete(ChatRequest(messages, body.max_tokens), body.temperature, stop)
        except LLMError as exc:
            return JSONResponse({"error": {"message": str(exc), "type": "server_error"}}, status_code=500)
        return {
            "id": completion_id, "object": "chat.completion", "created": created, "model": body.model,
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": reply}}],
            "usage": {"prompt_tokens": sum(llm.count_tokens(m.content) for m in messages),
                      "completion_tokens": llm.count_tokens(reply)},
        }

    return app


def _chunks(llm: LLM, messages: list[ChatMessage], body: ChatCompletionBody, stop: tuple[str, ...], completion_id: str,
            created: int) -> Iterator[str]:
    def chunk(delta: dict, finish: str | None = None) -> str:
        data = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": body.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant"})
    for piece in llm.stream(messages, max_tokens=body.max_tokens, temperature=body.temperature, stop=list(stop) or None):
        yield chunk({"content": piece})
    yield chunk({}, "stop")
    yield "data: [DONE]\n\n"
