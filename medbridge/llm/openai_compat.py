"""Remote backend: any OpenAI-compatible ``/v1/chat/completions`` endpoint (vLLM, Ollama, llama.cpp server,
hosted APIs), spoken with plain httpx.

``complete_many`` sends up to ``parallel`` requests at once: servers such as vLLM and llama.cpp batch
concurrent requests, so they finish together in little more than the time of one.

Connection failures, 5xx and 429 are retried with exponential backoff (honouring ``Retry-After``); a stream
is retried only until its first byte arrives, since a half-delivered answer cannot be replayed.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

import httpx

from medbridge.llm.base import ChatMessage, ChatRequest, LLMError, estimate_tokens

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_MAX_RETRY_AFTER_S = 30.0


class OpenAICompatibleLLM:
    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 120.0,
        max_retries: int = 3,
        backoff_s: float = 0.5,
        max_tokens: int = 1024,
        temperature: float = 0.1,
        parallel: int = 16,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._max_retries = max_retries
        self._backoff_s = backoff_s
        self._max_tokens = max_tokens
        self._temperature = temperature
        self._parallel = parallel
        key = api_key or os.environ.get("OPENAI_API_KEY")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout_s)

    @property
    def model_id(self) -> str:
        return f"openai:{self.base_url}#{self.model}"

    def close(self) -> None:
        self._client.close()

    def count_tokens(self, text: str) -> int:
        """Estimated: the endpoint's tokenizer is not at hand (asking it would cost a round trip per text)."""
        return estimate_tokens(text)

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stop: Sequence[str] | None = None,
    ) -> str:
        body = self._body(messages, max_tokens, temperature, stop, stream=False)
        with self._response(body) as response:
            response.read()
            try:
                return response.json()["choices"][0]["message"]["content"] or ""
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                raise LLMError(f"LLM endpoint {self.base_url} answered something that is not a chat completion") from exc

    def complete_many(
        self,
        requests: Sequence[ChatRequest],
        *,
        temperature: float | None = None,
        stop: Sequence[str] | None = None,
        on_done: Callable[[int, str], Sequence[ChatRequest] | None] | None = None,
    ) -> list[str]:
        answers: list[str] = []
        with ThreadPoolExecutor(max_workers=self._parallel) as pool:  # httpx.Client is thread-safe
            running: dict[Future[str], int] = {}

            def submit(more: Sequence[ChatRequest]) -> None:
                for request in more:
                    future = pool.submit(self.complete, request.messages, max_tokens=request.max_tokens, temperature=temperature, stop=stop)
                    running[future] = len(answers)
                    answers.append("")

            submit(requests)
            try:
                while running:
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        index = running.pop(future)
                        answers[index] = future.result()
                        if on_done:
                            submit(on_done(index, answers[index]) or ())
            finally:  # after a failure, requests not yet sent are dropped
                for future in running:
                    future.cancel()
        return answers

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        body = self._body(messages, max_tokens, temperature, stop, stream=True)
        with self._response(body) as response:
            try:
                for data in _sse_data(response.iter_lines()):
                    if data == "[DONE]":
                        return
                    choices = json.loads(data).get("choices") or [{}]
                    piece = (choices[0].get("delta") or {}).get("content")
                    if piece:
                        yield piece
            except httpx.HTTPError as exc:
                raise LLMError(f"LLM endpoint {self.base_url} broke off the answer: {exc}") from exc
            except ValueError as exc:
                raise LLMError(f"LLM endpoint {self.base_url} sent a stream event that is not JSON") from exc

    def _body(
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int | None,
        temperature: float | None,
        stop: Sequence[str] | None,
        *,
        stream: bool,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_tokens or self._max_tokens,
            "temperature": self._temperature if temperature is None else temperature,
            "stream": stream,
        }
        if stop:
            body["stop"] = list(stop)
        return body

    @contextmanager
    def _response(self, body: dict[str, Any]) -> Iterator[httpx.Response]:
        """An open 200 response to POST /chat/completions, after retrying transient failures."""
        for attempt in range(self._max_retries + 1):
            last_try = attempt == self._max_retries
            request = self._client.build_request("POST", "/chat/completions", json=body)
            try:
                response = self._client.send(request, stream=True)
            except httpx.TransportError as exc:
                if last_try or not isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
                    raise LLMError(f"cannot reach LLM endpoint {self.base_url}: {_reason(exc)}") from exc
                time.sleep(self._backoff_s * 2**attempt)
                continue
            if response.status_code == 200:
                try:
                    yield response
                finally:
                    response.close()
                return
            response.read()
            response.close()
            if last_try or response.status_code not in _RETRY_STATUSES:
                raise LLMError(
                    f"LLM endpoint {request.url} answered HTTP {response.status_code}: {_error_message(response)}"
                )
            time.sleep(_retry_after(response) or self._backoff_s * 2**attempt)


def _sse_data(lines: Iterator[str]) -> Iterator[str]:
    """The data of each server-sent event: ``data:`` lines joined by newlines, dispatched at a blank line."""
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
                data = []
        elif line.startswith("data:"):
            value = line[5:]
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield "\n".join(data)


def _reason(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, httpx.TimeoutException):
        return "no answer within the timeout (llm.timeout_s)"
    text = str(exc)
    if "refused" in text.lower():
        return "connection refused"
    return text or type(exc).__name__


def _error_message(response: httpx.Response) -> str:
    """The endpoint's own explanation (OpenAI puts it in ``error.message``, FastAPI in ``detail``), else the body."""
    try:
        payload = response.json()
    except ValueError:
        payload = None
    error = (payload.get("error") or payload.get("detail")) if isinstance(payload, dict) else None
    if isinstance(error, dict):
        error = error.get("message")
    text = str(error) if error else response.text
    return " ".join(text.split())[:300] or response.reason_phrase


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return min(float(response.headers["retry-after"]), _MAX_RETRY_AFTER_S)
    except (KeyError, ValueError):
        return None
