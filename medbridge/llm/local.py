"""Local backend: a GGUF model run in-process by llama-cpp-python.

One process-wide lock serialises loading and generation: on a small CPU two concurrent generations
would only thrash each other's caches, and a ``Llama`` object is not safe to share between threads.
Loaded models are cached per (file, context size, threads), so every caller shares one copy in memory.
"""

from __future__ import annotations

import atexit
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

from medbridge.errors import ConfigError
from medbridge.llm.base import ChatMessage, LLMError

_GENERATION_LOCK = threading.Lock()  # a plain Lock: a stream may be resumed (and finished) on another thread
_LOADED: dict[tuple[Path, int, int], Any] = {}


def _load(path: Path, n_ctx: int, n_threads: int) -> Any:
    """The cached ``Llama`` for these parameters; call with ``_GENERATION_LOCK`` held."""
    key = (path.resolve(), n_ctx, n_threads)
    if key not in _LOADED:
        # llama.cpp's OpenMP threads spin while idle; when other work shares the few cores, spinning threads
        # starve each other (measured: 2 threads fell from ~9 to ~1 tok/s). Passive waiting avoids that.
        # It must be set before the OpenMP runtime loads with llama_cpp; an explicit user setting wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise ConfigError(
                "llm.backend = local needs llama-cpp-python: CMAKE_ARGS=\"-DLLAMA_CURL=OFF\" pip install 'llama-cpp-python[server]'"
            ) from exc
        try:
            _LOADED[key] = Llama(
                model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads, verbose=False
            )
        except ValueError as exc:  # llama.cpp reports an unreadable or non-GGUF file this way
            raise LLMError(f"cannot load GGUF model {path}: {exc}") from exc
    return _LOADED[key]


@atexit.register
def _close_loaded() -> None:
    # Free models while llama_cpp's module globals still exist; its finaliser fails during interpreter teardown.
    while _LOADED:
        _LOADED.popitem()[1].close()


class LocalLLM:
    """Chat with a GGUF file; the chat template comes from the file's own metadata."""

    def __init__(
        self,
        model_path: Path,
        sha256: str,
        *,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        max_tokens: int = 1024,
        temperature: float = 0.1,
    ) -> None:
        self.model_path = model_path
        self._sha256 = sha256
        self._n_ctx = n_ctx
        self._n_threads = n_threads or os.cpu_count() or 1
        self._max_tokens = max_tokens
        self._temperature = temperature

    @property
    def model_id(self) -> str:
        return f"{self.model_path.name}#{self._sha256[:12]}"

    def count_tokens(self, text: str) -> int:
        """How many tokens ``text`` takes in this model, for fitting prompts into ``llm.n_ctx``."""
        with _GENERATION_LOCK:
            llama = _load(self.model_path, self._n_ctx, self._n_threads)
        return len(llama.tokenize(text.encode("utf-8"), add_bos=False))  # tokenizing is read-only: no lock

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stop: Sequence[str] | None = None,
    ) -> str:
        with _GENERATION_LOCK, self._explained_errors():
            llama = _load(self.model_path, self._n_ctx, self._n_threads)
            response = llama.create_chat_completion(**self._request(messages, max_tokens, temperature, stop))
        return response["choices"][0]["message"]["content"] or ""

    def stream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        # The lock is held until the stream is exhausted or closed, so consume it before another call.
        with _GENERATION_LOCK, self._explained_errors():
            llama = _load(self.model_path, self._n_ctx, self._n_threads)
            request = self._request(messages, max_tokens, temperature, stop)
            for chunk in llama.create_chat_completion(**request, stream=True):
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece

    def _request(
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int | None,
        temperature: float | None,
        stop: Sequence[str] | None,
    ) -> dict[str, Any]:
        return {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_tokens or self._max_tokens,
            "temperature": self._temperature if temperature is None else temperature,
            "stop": list(stop) if stop else None,
        }

    @contextmanager
    def _explained_errors(self) -> Iterator[None]:
        try:
            yield
        except ValueError as exc:  # e.g. "Requested tokens (5000) exceed context window of 4096"
            raise LLMError(f"{self.model_path.name}: {exc}") from exc
