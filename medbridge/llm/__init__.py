"""LLM runtime: ``get_llm(settings)`` picks the backend named by ``settings.llm.backend``.

This package is the only place that talks to llama-cpp-python or to an LLM endpoint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from medbridge.llm.base import LLM, ChatMessage, ChatRequest, LLMError, estimate_tokens

if TYPE_CHECKING:
    from medbridge.settings import MedbridgeSettings

__all__ = ["LLM", "ChatMessage", "ChatRequest", "LLMError", "NoLLM", "get_llm"]


class NoLLM:
    """``llm.backend = none``: everything else works; a feature that needs a model says so when used."""

    model_id = "none"

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stop: Sequence[str] | None = None,
    ) -> str:
        raise self._error()

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        raise self._error()

    def complete_many(
        self,
        requests: Sequence[ChatRequest],
        *,
        temperature: float | None = None,
        stop: Sequence[str] | None = None,
        on_done: Callable[[int, str], Sequence[ChatRequest] | None] | None = None,
    ) -> list[str]:
        raise self._error()

    @staticmethod
    def _error() -> LLMError:
        return LLMError("no LLM configured: set llm.backend to local or openai (e.g. MEDBRIDGE_LLM__BACKEND=local)")


def get_llm(settings: MedbridgeSettings) -> LLM:
    """The configured model. The local backend verifies (and if needed assembles) its GGUF file here,
    cheaply thanks to the hash sidecar, but loads it only on the first generation."""
    llm = settings.llm
    if llm.backend == "none":
        return NoLLM()
    if llm.backend == "openai":
        from medbridge.llm.openai_compat import OpenAICompatibleLLM

        return OpenAICompatibleLLM(
            llm.base_url,
            llm.model,
            api_key=llm.api_key,
            timeout_s=llm.timeout_s,
            max_retries=llm.max_retries,
            max_tokens=llm.max_tokens,
            temperature=llm.temperature,
            parallel=llm.parallel,
        )
    from medbridge.llm.local import LocalLLM
    from medbridge.llm.models import resolve_model

    model = resolve_model(settings)
    return LocalLLM(
        model.path,
        model.sha256,
        n_ctx=llm.n_ctx,
        n_threads=llm.n_threads,
        parallel=llm.parallel,
        max_tokens=llm.max_tokens,
        temperature=llm.temperature,
    )
