"""The local llama-cpp-python backend on the real Qwen2.5-Coder-0.5B GGUF."""

from __future__ import annotations

import threading
import time

import pytest

from medbridge.llm import ChatMessage, ChatRequest, LLMError, get_llm
from medbridge.llm.local import LocalLLM
from medbridge.settings import load_settings

pytestmark = pytest.mark.slow

ARITHMETIC = [
    ChatMessage("system", "You are a calculator. Answer with the number only."),
    ChatMessage("user", "What is 2+2?"),
]


@pytest.fixture(scope="module")
def small_llm(small_settings) -> LocalLLM:
    llm = get_llm(small_settings(max_tokens=32))
    assert isinstance(llm, LocalLLM)
    return llm


def test_model_id_is_file_name_and_hash_prefix(small_llm: LocalLLM) -> None:
    assert small_llm.model_id == "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf#1d9614638d18"


def test_complete_answers_a_simple_question(small_llm: LocalLLM) -> None:
    answer = small_llm.complete(ARITHMETIC, temperature=0)

    assert "4" in answer
    assert len(answer) < 40


def test_stream_yields_the_answer_in_pieces(small_llm: LocalLLM) -> None:
    pieces = list(small_llm.stream([ChatMessage("user", "Count from 1 to 5, separated by commas.")], temperature=0))

    assert len(pieces) > 3
    assert "1, 2, 3, 4, 5" in "".join(pieces).replace(",  ", ", ")


def test_stop_sequence_and_token_budget_end_the_answer(small_llm: LocalLLM) -> None:
    count = [ChatMessage("user", "Count from 1 to 10, separated by commas.")]

    stopped = small_llm.complete(count, temperature=0, stop=["5"])
    budgeted = list(small_llm.stream(count, temperature=0, max_tokens=3))

    assert "4" in stopped and "5" not in stopped and "6" not in stopped
    assert 1 <= len(budgeted) <= 3


def test_lock_serialises_concurrent_generations(small_llm: LocalLLM) -> None:
    spans: dict[str, tuple[float, float]] = {}
    answers: dict[str, str] = {}

    def ask(name: str) -> None:
        pieces, times = [], []
        for piece in small_llm.stream(ARITHMETIC, temperature=0):
            times.append(time.monotonic())
            pieces.append(piece)
        spans[name] = (times[0], times[-1])
        answers[name] = "".join(pieces)

    threads = [threading.Thread(target=ask, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert all("4" in answer for answer in answers.values()) and len(answers) == 2
    (first_start, first_end), (second_start, second_end) = sorted(spans.values())
    assert first_end < second_start  # the second generation produced nothing until the first had finished


def test_prompt_longer_than_the_context_is_a_clear_error(small_settings) -> None:
    llm = get_llm(small_settings(n_ctx=512))
    too_long = [ChatMessage("user", "amyloid beta plaques " * 400)]

    with pytest.raises(LLMError, match=r"qwen2\.5-coder-0\.5b-instruct-q4_k_m\.gguf: .*context window of 512"):
        llm.complete(too_long)


def test_count_tokens_uses_the_model_vocabulary(small_llm: LocalLLM) -> None:
    english = small_llm.count_tokens("Alzheimer disease")
    chinese = small_llm.count_tokens("阿尔茨海默病是一种神经退行性疾病")

    assert 2 <= english <= 5
    assert 5 <= chinese <= 16


def test_a_file_that_is_not_gguf_is_a_clear_error(tmp_path) -> None:
    not_a_model = tmp_path / "notes.gguf"
    not_a_model.write_text("these are notes, not weights")
    llm = get_llm(load_settings(home=tmp_path, llm={"model_path": str(not_a_model)}))

    with pytest.raises(LLMError, match=r"^cannot load GGUF model .*notes\.gguf"):
        llm.complete(ARITHMETIC)


QUESTIONS = [
    [ChatMessage("system", "You are a calculator. Answer with the number only."), ChatMessage("user", f"What is {a}+{b}?")]
    for a, b in [(2, 2), (3, 5), (10, 7), (6, 6), (1, 8)]
]


def test_requests_decoded_together_answer_as_they_would_one_by_one(small_settings) -> None:
    # Two sequences at a time for five requests: admission as sequences finish, and the shared system prompt.
    llm = get_llm(small_settings(parallel=2, max_tokens=16))
    alone = [llm.complete(q, temperature=0) for q in QUESTIONS]
    done: list[int] = []

    together = llm.complete_many([ChatRequest(q) for q in QUESTIONS], temperature=0, on_done=lambda i, _: done.append(i))

    assert together == alone
    assert sorted(done) == [0, 1, 2, 3, 4]
    assert [a.strip() for a in together] == ["4", "8", "17", "12", "9"]


def test_follow_up_requests_join_the_run_and_are_answered_in_order(small_llm: LocalLLM) -> None:
    seen: list[tuple[int, str]] = []

    def ask_again(index: int, reply: str) -> list[ChatRequest]:
        seen.append((index, reply))
        if index >= 2:
            return []
        return [ChatRequest([ChatMessage("user", f"Repeat exactly: {reply.strip()} and {index}")], max_tokens=12)]

    answers = small_llm.complete_many([ChatRequest(QUESTIONS[0]), ChatRequest(QUESTIONS[1])], temperature=0, on_done=ask_again)

    assert len(answers) == 4 and sorted(i for i, _ in seen) == [0, 1, 2, 3]
    assert answers[0].strip() == "4" and answers[1].strip() == "8"
    assert "4" in answers[2] or "4" in answers[3]  # the follow-up of request 0 saw its reply


def test_each_request_keeps_its_own_budget_and_stop(small_llm: LocalLLM) -> None:
    count = [ChatMessage("user", "Count from 1 to 10, separated by commas.")]

    short, stopped = small_llm.complete_many([ChatRequest(count, max_tokens=3), ChatRequest(count, max_tokens=40)], temperature=0, stop=["7"])

    assert small_llm.count_tokens(short) <= 3
    assert "6" in stopped and "7" not in stopped


def test_a_small_cache_makes_requests_wait_instead_of_failing(small_settings) -> None:
    # 600 cells: the prompts and budgets of all five do not fit at once, so some wait for others to finish.
    llm = get_llm(small_settings(n_ctx=600, parallel=5, max_tokens=100))

    answers = llm.complete_many([ChatRequest(q) for q in QUESTIONS], temperature=0)

    assert [a.strip() for a in answers] == ["4", "8", "17", "12", "9"]


def test_a_draft_is_verified_in_bulk_and_never_changes_the_answer(small_llm: LocalLLM, monkeypatch) -> None:
    from medbridge.llm import local

    count = [ChatMessage("user", "Count from 1 to 30, separated by commas.")]
    decode_calls = 0
    decode = local._Engine._decode

    def counted(self, rows):
        nonlocal decode_calls
        decode_calls += 1
        return decode(self, rows)

    monkeypatch.setattr(local._Engine, "_decode", counted)
    plain = small_llm.complete_many([ChatRequest(count, max_tokens=120)], temperature=0)[0]
    plain_steps, decode_calls = decode_calls, 0
    drafted = small_llm.complete_many([ChatRequest(count, max_tokens=120, draft=plain)], temperature=0)[0]
    assert drafted == plain and "29, 30" in plain
    assert decode_calls * 3 < plain_steps  # up to eight tokens a step instead of one

    # A misleading draft (matching pairs, wrong continuations) is rejected token by token; a draft beyond the
    # budget is cut at it.
    misleading = "1, 2, 7, 3, 4, 9, 5, 6, 1, 10, 11, 2"
    assert small_llm.complete_many([ChatRequest(count, max_tokens=120, draft=misleading)], temperature=0)[0] == plain
    short = small_llm.complete_many([ChatRequest(count, max_tokens=10, draft=plain)], temperature=0)[0]
    assert small_llm.count_tokens(short) <= 10 and plain.startswith(short)
