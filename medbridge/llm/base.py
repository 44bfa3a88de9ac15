"""The LLM interface every capability uses; backends implement only the model call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Literal, Protocol, Sequence

from medbridge.errors import MedbridgeError
from medbridge.text import CJK


class LLMError(MedbridgeError):
    """The model could not run: none configured, endpoint unreachable or answering an error, prompt too long."""


@dataclass(slots=True, frozen=True)
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(slots=True, frozen=True)
class ChatRequest:
    """One conversation of a :meth:`LLM.complete_many` call, with its own generation budget. ``draft``: text the
    reply will likely repeat in part (the previous answer, when asking for a corrected one); a backend may
    verify its continuations several tokens per step instead of generating them one by one."""

    messages: Sequence[ChatMessage]
    max_tokens: int | None = None
    draft: str = ""


def estimate_tokens(text: str) -> int:
    """Tokens of ``text`` for a Qwen-like tokenizer: ~1.3 CJK characters or ~3.5 other characters per token."""
    cjk = len(CJK.findall(text))
    return int(cjk / 1.3 + (len(text) - cjk) / 3.5) + 1


class LLM(Protocol):
    @property
    def model_id(self) -> str:
        """Stable identity of the model (file hash prefix or endpoint model name); part of cache keys."""

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes: exact where the backend holds the tokenizer, else :func:`estimate_tokens`."""

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stop: Sequence[str] | None = None,
    ) -> str:
        """The whole reply."""

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        """The reply as text pieces, as they are generated."""

    def complete_many(
        self,
        requests: Sequence[ChatRequest],
        *,
        temperature: float | None = None,
        stop: Sequence[str] | None = None,
        on_done: Callable[[int, str], Sequence[ChatRequest] | None] | None = None,
    ) -> list[str]:
        """The whole reply to each request, in order. Backends run the requests together (batched decoding,
        concurrent HTTP requests), which costs far less than one after another. ``on_done(index, reply)`` is
        told each reply as it finishes and may return follow-up requests (a retry, say): they join the run
        with the next indices, so the batch stays full, and their replies are appended to the result."""
