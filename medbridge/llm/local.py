"""Local backend: a GGUF model run in-process by llama.cpp.

Generation is batched. On a CPU one decoding step is bound by reading the weights from memory, so a step that
advances eight sequences by a token each costs little more than a step for one (1.5B model on 2 cores: about
10 tok/s alone, 25–40 tok/s summed over 8–16 sequences). ``complete_many`` therefore decodes up to
``parallel`` requests together, admitting the next request as soon as one finishes. The requests of a call
share their common prompt prefix (the system prompt) in the KV cache: it is evaluated once, and kept for the
next call. llama-cpp-python's ``Llama`` class decodes a single sequence, hence its low-level API here
(``LlamaModel``, ``LlamaContext``, ``LlamaBatch``, ``LlamaSampler``).

One process-wide lock serialises loading and generation: a llama.cpp context is not safe to share between
threads, and two generations side by side would only thrash the small CPU's caches. Loaded models are cached
per (file, context size, threads, parallel sequences), so every caller shares one copy in memory.
"""

from __future__ import annotations

import atexit
import os
import random
import threading
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from medbridge.errors import ConfigError
from medbridge.llm.base import ChatMessage, ChatRequest, LLMError

_GENERATION_LOCK = threading.Lock()  # a plain Lock: a stream may be resumed (and finished) on another thread
_LOADED: dict[tuple[Path, int, int, int], _Engine] = {}  # by (file, context size, threads, parallel)
_BATCH_TOKENS = 512
_PREFIX_SEQUENCE = 0  # holds the shared prompt prefix; requests decode in sequences 1..parallel
_DRAFT_MATCH = 2      # tokens just generated that must recur in the draft before its continuation is proposed
_DRAFT_TOKENS = 8     # most draft tokens verified in one step


def _llama_cpp() -> Any:
    # llama.cpp's OpenMP threads spin while idle; when other work shares the few cores, spinning threads
    # starve each other (measured: 2 threads fell from ~9 to ~1 tok/s). Passive waiting avoids that.
    # It must be set before the OpenMP runtime loads with llama_cpp; an explicit user setting wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import llama_cpp
    except ImportError as exc:
        raise ConfigError(
            "llm.backend = local needs llama-cpp-python: CMAKE_ARGS=\"-DLLAMA_CURL=OFF\" pip install 'llama-cpp-python[server]'"
        ) from exc
    return llama_cpp


@dataclass(slots=True)
class _Sequence:
    """One request being decoded."""

    index: int                       # position in the caller's request list
    prompt: list[int]
    budget: int                      # new tokens allowed
    stops: Sequence[str]
    pending: list[int] = field(default_factory=list)  # prompt tokens not yet fed to the model
    reserved: int = 0                # KV cells set aside for it (prompt beyond the shared prefix + budget)
    draft: list[int] = field(default_factory=list)    # tokens the answer may repeat (see ChatRequest.draft)
    sampler: Any = None
    slot: int = 0
    position: int = 0                # where the next token fed goes
    output_rows: list[int] = field(default_factory=list)  # batch rows whose logits give the next tokens
    proposed: list[int] = field(default_factory=list)     # draft tokens fed after the last sampled one
    tokens: list[int] = field(default_factory=list)       # generated so far
    generated: int = 0
    raw: bytearray = field(default_factory=bytearray)
    emitted: int = 0                 # characters of the answer already handed out


class _Engine:
    """A loaded model with one context whose KV cache is shared by the prefix and the request sequences."""

    def __init__(self, path: Path, n_ctx: int, n_threads: int, parallel: int) -> None:
        llama_cpp = _llama_cpp()
        from llama_cpp import _internals
        from llama_cpp._logger import set_verbose
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        set_verbose(False)
        llama_cpp.llama_backend_init()
        try:
            self.model = _internals.LlamaModel(path_model=str(path), params=llama_cpp.llama_model_default_params(), verbose=False)
        except ValueError as exc:  # llama.cpp reports an unreadable or non-GGUF file this way
            raise LLMError(f"cannot load GGUF model {path}: {exc}") from exc
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = params.n_ubatch = _BATCH_TOKENS
        params.n_seq_max = parallel + 1
        params.n_threads = params.n_threads_batch = n_threads
        params.kv_unified = True  # sequences copied from the prefix share its cells instead of copying them
        self.context = _internals.LlamaContext(model=self.model, params=params, verbose=False)
        self.batch = _internals.LlamaBatch(n_tokens=_BATCH_TOKENS, embd=0, n_seq_max=1, verbose=False)
        self._new_sampler = _internals.LlamaSampler
        self._llama_cpp = llama_cpp
        self.n_ctx = n_ctx
        self.parallel = parallel
        self.prefix: list[int] = []
        metadata = self.model.metadata()
        if "tokenizer.chat_template" not in metadata:
            raise LLMError(f"GGUF model {path.name} has no chat template in its metadata")
        eos = self.model.token_eos()
        self._formatter = Jinja2ChatFormatter(
            template=metadata["tokenizer.chat_template"],
            eos_token=self.model.token_get_text(eos),
            bos_token=self.model.token_get_text(self.model.token_bos()),
            stop_token_ids=[eos],
        )

    def close(self) -> None:
        self.batch.close()
        self.context.close()
        self.model.close()

    def tokenize(self, text: str) -> list[int]:
        return self.model.tokenize(text.encode("utf-8"), add_bos=False, special=False)

    def prompt(self, messages: Sequence[ChatMessage]) -> tuple[list[int], list[str]]:
        """Prompt tokens by the model's own chat template, and the template's stop strings."""
        formatted = self._formatter(messages=[{"role": m.role, "content": m.content} for m in messages])
        tokens = self.model.tokenize(formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True)
        stop = formatted.stop or []
        return tokens, [stop] if isinstance(stop, str) else list(stop)

    def sampler(self, temperature: float) -> Any:
        sampler = self._new_sampler()
        if temperature <= 0:
            sampler.add_greedy()
        else:  # llama-cpp-python's defaults for chat completions
            sampler.add_top_k(40)
            sampler.add_top_p(0.95, 1)
            sampler.add_min_p(0.05, 1)
            sampler.add_temp(temperature)
            sampler.add_dist(random.getrandbits(32))
        return sampler

    # ---- decoding ------------------------------------------------------------------------------------

    def sequence(self, index: int, messages: Sequence[ChatMessage], budget: int, stop: Sequence[str], draft: str = "") -> _Sequence:
        tokens, template_stops = self.prompt(messages)
        if len(tokens) >= self.n_ctx:
            raise ValueError(f"Requested tokens ({len(tokens)}) exceed context window of {self.n_ctx}")
        return _Sequence(index, tokens, budget, [s for s in [*template_stops, *stop] if s], draft=self.tokenize(draft) if draft else [])

    def generate(self, waiting: deque[_Sequence], temperature: float) -> Iterator[tuple[int, str, bool]]:
        """Decode the waiting sequences together; yields (request index, new text, finished). Sequences the
        caller appends to ``waiting`` meanwhile join the run."""
        llama_cpp = self._llama_cpp
        memory = self.context.memory
        for slot in range(1, self.parallel + 1):  # a stream closed early leaves its sequence behind
            llama_cpp.llama_memory_seq_rm(memory, slot, -1, -1)
        self._share_prefix([seq.prompt for seq in waiting])
        active: list[_Sequence] = []
        free_slots = list(range(self.parallel, 0, -1))
        reserved = 0
        while waiting or active:
            rows = 0
            for seq in [s for s in active if s.output_rows]:
                # One row per token fed: the last sampled one, then any proposed draft tokens. A draft token is
                # accepted while the model's own choice equals it; the first differing choice is the next token.
                finished = False
                for offset, row in enumerate(seq.output_rows):
                    token = seq.sampler.sample(self.context, row)
                    if llama_cpp.llama_vocab_is_eog(self.model.vocab, token):
                        reserved -= seq.reserved
                        yield seq.index, self._finish(seq, active, free_slots), True
                        finished = True
                        break
                    seq.raw += self.model.detokenize([token])
                    seq.tokens.append(token)
                    seq.generated += 1
                    piece, stopped = self._new_text(seq)
                    if stopped or seq.generated >= seq.budget:
                        reserved -= seq.reserved
                        yield seq.index, piece + self._finish(seq, active, free_slots), True
                        finished = True
                        break
                    if piece:
                        yield seq.index, piece, False
                    if offset == len(seq.proposed) or token != seq.proposed[offset]:
                        break
                if finished:
                    continue
                rejected = len(seq.proposed) - offset
                if rejected:
                    seq.position -= rejected
                    llama_cpp.llama_memory_seq_rm(memory, seq.slot, seq.position, -1)
                proposed = self._proposal(seq, _BATCH_TOKENS - rows - 1)
                seq.output_rows, seq.proposed = [], proposed
                for fed in [token, *proposed]:
                    self._add(rows, fed, seq.position, seq.slot, True)
                    seq.output_rows.append(rows)
                    rows += 1
                    seq.position += 1
            while waiting and free_slots:
                seq = waiting[0]
                # Each prompt keeps at least its last token, whose logits give the first new token.
                shared = min(_common_length(self.prefix, seq.prompt), len(seq.prompt) - 1)
                room = self.n_ctx - len(self.prefix) - reserved - (len(seq.prompt) - shared)
                if room < 1 and active:
                    break  # it fits once a running sequence has finished
                waiting.popleft()
                seq.pending = seq.prompt[shared:]
                seq.budget = max(1, min(seq.budget, room))
                seq.reserved = len(seq.pending) + seq.budget
                reserved += seq.reserved
                seq.slot, seq.position = free_slots.pop(), shared
                seq.sampler = self.sampler(temperature)
                llama_cpp.llama_memory_seq_cp(memory, _PREFIX_SEQUENCE, seq.slot, 0, shared)
                active.append(seq)
            for seq in (s for s in active if s.pending):
                take = seq.pending[: _BATCH_TOKENS - rows]
                for offset, token in enumerate(take):
                    last = offset == len(take) - 1 and len(take) == len(seq.pending)
                    self._add(rows, token, seq.position + offset, seq.slot, last)
                    if last:
                        seq.output_rows = [rows]
                    rows += 1
                seq.position += len(take)
                del seq.pending[: len(take)]
                if rows >= _BATCH_TOKENS:
                    break
            if rows:
                self._decode(rows)

    @staticmethod
    def _proposal(seq: _Sequence, room: int) -> list[int]:
        """Draft tokens to verify next: what followed the latest earlier occurrence, in the draft, of the tokens
        just generated (prompt-lookup decoding). Bounded by the batch room and the budget, so the cells used stay
        within those reserved."""
        limit = min(_DRAFT_TOKENS, room, seq.budget - seq.generated - 1)
        if not seq.draft or limit <= 0 or len(seq.tokens) < _DRAFT_MATCH:
            return []
        recent = seq.tokens[-_DRAFT_MATCH:]
        for start in range(len(seq.draft) - _DRAFT_MATCH, -1, -1):
            if seq.draft[start : start + _DRAFT_MATCH] == recent:
                return seq.draft[start + _DRAFT_MATCH : start + _DRAFT_MATCH + limit]
        return []

    def _share_prefix(self, prompts: Sequence[list[int]]) -> None:
        """Evaluate the prompts' common prefix into the prefix sequence, reusing what the last call left there."""
        if not prompts:
            return
        first = prompts[0]
        shared = min(len(p) for p in prompts) - 1
        for other in prompts[1:]:
            shared = min(shared, _common_length(first, other))
        reused = _common_length(self.prefix, first[:shared])
        self._llama_cpp.llama_memory_seq_rm(self.context.memory, _PREFIX_SEQUENCE, reused, -1)
        self.prefix = first[:reused]
        for start in range(reused, shared, _BATCH_TOKENS):
            chunk = first[start : min(shared, start + _BATCH_TOKENS)]
            for row, token in enumerate(chunk):
                self._add(row, token, start + row, _PREFIX_SEQUENCE, False)
            self._decode(len(chunk))
            self.prefix = first[: start + len(chunk)]

    def _add(self, row: int, token: int, position: int, sequence: int, logits: bool) -> None:
        """Put a token in batch row ``row``."""
        batch = self.batch.batch
        batch.token[row] = token
        batch.pos[row] = position
        batch.seq_id[row][0] = sequence
        batch.n_seq_id[row] = 1
        batch.logits[row] = logits

    def _decode(self, rows: int) -> None:
        self.batch.batch.n_tokens = rows
        status = self._llama_cpp.llama_decode(self.context.ctx, self.batch.batch)
        if status != 0:
            raise LLMError(f"llama.cpp could not decode a batch (status {status}; 1 means the KV cache is full)")

    def _new_text(self, seq: _Sequence) -> tuple[str, bool]:
        """Text decoded since the last piece, and whether a stop string ended the answer. Text that may be the
        start of a stop string is held back until it is clear that it is not."""
        text = seq.raw.decode("utf-8", errors="ignore")  # an incomplete character at the end waits for its bytes
        ends = [text.find(s, max(0, seq.emitted - len(s))) for s in seq.stops]
        found = [end for end in ends if end >= 0]
        if found:
            end, stopped = min(found), True
        else:
            held = max((k for s in seq.stops for k in range(1, len(s)) if text.endswith(s[:k])), default=0)
            end, stopped = len(text) - held, False
        piece = text[seq.emitted : end] if end > seq.emitted else ""
        seq.emitted = max(seq.emitted, end)
        if stopped:
            seq.raw = bytearray(text[:end].encode("utf-8"))
        return piece, stopped

    def _finish(self, seq: _Sequence, active: list[_Sequence], free_slots: list[int]) -> str:
        """Free the sequence's slot and cells; returns the text still held back (none once stopped)."""
        self._llama_cpp.llama_memory_seq_rm(self.context.memory, seq.slot, -1, -1)
        active.remove(seq)
        free_slots.append(seq.slot)
        seq.sampler.close()
        text = seq.raw.decode("utf-8", errors="replace")
        return text[seq.emitted :]


def _common_length(a: Sequence[int], b: Sequence[int]) -> int:
    length = 0
    for x, y in zip(a, b):
        if x != y:
            break
        length += 1
    return length


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
        n_ctx: int = 8192,
        n_threads: int | None = None,
        parallel: int = 16,
        max_tokens: int = 1024,
        temperature: float = 0.1,
    ) -> None:
        self.model_path = model_path
        self._sha256 = sha256
        self._n_ctx = n_ctx
        self._n_threads = n_threads or os.cpu_count() or 1
        self._parallel = parallel
        self._max_tokens = max_tokens
        self._temperature = temperature

    @property
    def model_id(self) -> str:
        return f"{self.model_path.name}#{self._sha256[:12]}"

    def count_tokens(self, text: str) -> int:
        """How many tokens ``text`` takes in this model, for fitting prompts into ``llm.n_ctx``."""
        # Tokenizing is read-only, so no lock once loaded: a caller may count tokens while its own batch runs.
        engine = _LOADED.get(self._key()) or self._load_locked()
        return len(engine.tokenize(text))

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stop: Sequence[str] | None = None,
    ) -> str:
        return self.complete_many([ChatRequest(messages, max_tokens)], temperature=temperature, stop=stop)[0]

    def complete_many(
        self,
        requests: Sequence[ChatRequest],
        *,
        temperature: float | None = None,
        stop: Sequence[str] | None = None,
        on_done: Callable[[int, str], Sequence[ChatRequest] | None] | None = None,
    ) -> list[str]:
        answers: list[str] = []
        with _GENERATION_LOCK, self._explained_errors():
            engine = self._engine()
            waiting: deque[_Sequence] = deque()

            def enqueue(more: Sequence[ChatRequest]) -> None:
                for request in more:
                    budget = request.max_tokens or self._max_tokens
                    waiting.append(engine.sequence(len(answers), request.messages, budget, stop or (), request.draft))
                    answers.append("")

            enqueue(requests)
            for index, piece, finished in engine.generate(waiting, self._temperature if temperature is None else temperature):
                answers[index] += piece
                if finished and on_done:
                    enqueue(on_done(index, answers[index]) or ())
        return answers

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
            engine = self._engine()
            waiting = deque([engine.sequence(0, messages, max_tokens or self._max_tokens, stop or ())])
            for _, piece, _ in engine.generate(waiting, self._temperature if temperature is None else temperature):
                if piece:
                    yield piece

    def _key(self) -> tuple[Path, int, int, int]:
        return (self.model_path.resolve(), self._n_ctx, self._n_threads, self._parallel)

    def _engine(self) -> _Engine:
        """The loaded model; call with ``_GENERATION_LOCK`` held."""
        key = self._key()
        if key not in _LOADED:
            _LOADED[key] = _Engine(*key)
        return _LOADED[key]

    def _load_locked(self) -> _Engine:
        with _GENERATION_LOCK:
            return self._engine()

    @contextmanager
    def _explained_errors(self) -> Iterator[None]:
        try:
            yield
        except ValueError as exc:  # e.g. "Requested tokens (5000) exceed context window of 4096"
            raise LLMError(f"{self.model_path.name}: {exc}") from exc
