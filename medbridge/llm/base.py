"""The LLM interface every capability uses; backends implement only the model call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Literal, Protocol, Sequence

from medbridge.errors import MedbridgeError


class LLMError(MedbridgeError):
    """The model could not run: none configured, endpoint unreachable or answering an error, prompt too long."""


@dataclass(slots=True, frozen=True)
class ChatMessage:
    role: Literal["system", "user", "assistant"]
    content: str


class LLM(Protocol):
    @property
    def model_id(self) -> str:
        """Stable identity of the model (file hash prefix or endpoint model name); part of cache keys."""

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
